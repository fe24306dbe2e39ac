// Command gopeer times the Go interpreters the source documents name for script plugins, gopher-lua
// and goja, calling the same functions as Atrium's script plugins in bench/scripts.py: greet("World")
// from bench/scripts/trivial.lua and trivial.js, and fib(25). It prints `name value unit` lines: the
// median of 5 runs of ns per call (µs for fib).
//
// Usage: gopeer DIR   (DIR holds trivial.js and trivial.lua)
package main

import (
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/dop251/goja"
	lua "github.com/yuin/gopher-lua"
)

const runs = 5

func median(f func() float64) float64 {
	var xs []float64
	for i := 0; i < runs; i++ {
		xs = append(xs, f())
	}
	sort.Float64s(xs)
	return xs[runs/2]
}

// perCall runs call n times after a warm-up and gives the average in ns.
func perCall(n int, call func()) float64 {
	for i := 0; i < n/10; i++ {
		call()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		call()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func read(dir, name string) string {
	b, err := ioutil.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return string(b)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gopeer DIR")
		os.Exit(2)
	}
	dir := os.Args[1]

	// gopher-lua: one LState, its function called with a string, the string result read back
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(read(dir, "trivial.lua")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	callLua := func(fn string, arg lua.LValue) string {
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal(fn), NRet: 1, Protect: true}, arg); err != nil {
			panic(err)
		}
		r := L.Get(-1)
		L.Pop(1)
		return r.String()
	}
	if got := callLua("greet", lua.LString("World")); got != "Hello, World!" {
		panic("gopher-lua: " + got)
	}
	fmt.Printf("gopher-lua.greet %.1f ns\n", median(func() float64 {
		return perCall(1000000, func() { callLua("greet", lua.LString("World")) })
	}))
	fmt.Printf("gopher-lua.fib25 %.1f us\n", median(func() float64 {
		return perCall(20, func() { callLua("fib", lua.LNumber(25)) }) / 1000
	}))

	// goja: one Runtime, the function as a goja.Callable, the result exported to a Go string
	vm := goja.New()
	if _, err := vm.RunString(read(dir, "trivial.js")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	greet, ok := goja.AssertFunction(vm.Get("greet"))
	fib, ok2 := goja.AssertFunction(vm.Get("fib"))
	if !ok || !ok2 {
		panic("goja: no greet or fib")
	}
	callJs := func(f goja.Callable, arg goja.Value) string {
		v, err := f(goja.Undefined(), arg)
		if err != nil {
			panic(err)
		}
		return v.String()
	}
	if got := callJs(greet, vm.ToValue("World")); got != "Hello, World!" {
		panic("goja: " + got)
	}
	fmt.Printf("goja.greet %.1f ns\n", median(func() float64 {
		return perCall(1000000, func() { callJs(greet, vm.ToValue("World")) })
	}))
	fmt.Printf("goja.fib25 %.1f us\n", median(func() float64 {
		return perCall(20, func() { callJs(fib, vm.ToValue(25)) }) / 1000
	}))
}
