// Package atrium writes Atrium's C ABI (docs/native.md) for a Go library built with
// go build -buildmode=c-shared, so that a plugin is its functions and one registration line:
//
//	package main
//
//	import "atrium"
//
//	func Greet(name string) string { return "Hello, " + name + "!" }
//
//	func init() { atrium.Plugin("io.atrium.api.greeting.Greeter", "1.0.0", atrium.String("greet", Greet)) }
//
//	func main() {}
//
// Build it in GOPATH mode with this folder's parent on GOPATH:
//
//	GO111MODULE=off GOPATH=$PWD/gopath:/path/to/atrium/sdk/native/go go build -buildmode=c-shared -o libgreeter.so .
//
// A function fails its call with atrium.Fail("why"); a panic in it fails the call too, with its value (a panic in
// a goroutine it starts, or a stack overflow, still ends the process, and with it a server that runs the library
// in-process). Standard library only.
package atrium

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"sync"
	"unsafe"
)

// Function is one name the host calls, and what answers it.
type Function struct {
	name string
	call func(args json.RawMessage) (any, error)
}

// String is a function of one string that returns one (a Greeter's greet).
func String(name string, f func(string) string) Function {
	return Function{name, func(args json.RawMessage) (any, error) {
		var in []string
		if err := json.Unmarshal(args, &in); err != nil || len(in) != 1 {
			return nil, fmt.Errorf("takes one string")
		}
		return f(in[0]), nil
	}}
}

// JSON is a function of any signature: the arguments as a JSON array in, the result encoded as JSON.
func JSON(name string, f func(args json.RawMessage) (any, error)) Function {
	return Function{name, f}
}

type failure string

// Fail ends the function's call with an error the caller sees as its message.
func Fail(message string) {
	panic(failure(message))
}

var (
	mu          sync.Mutex
	functions   = map[string]Function{}
	description *C.char
)

// Plugin declares the contract the library implements, its version, and its functions.
func Plugin(contract, version string, fns ...Function) {
	mu.Lock()
	defer mu.Unlock()
	names := []string{}
	for _, f := range fns {
		functions[f.name] = f
		names = append(names, f.name)
	}
	d, _ := json.Marshal(map[string]any{"contract": contract, "version": version, "threading": "serial", "methods": names})
	description = C.CString(string(d))
}

//export atrium_abi_version
func atrium_abi_version() C.uint32_t {
	return 1
}

//export atrium_describe
func atrium_describe() *C.char {
	mu.Lock()
	defer mu.Unlock()
	if description == nil {
		description = C.CString(`{"methods":[]}`)
	}
	return description
}

//export atrium_invoke
func atrium_invoke(method *C.char, req *C.uint8_t, reqLen C.size_t, resp **C.uint8_t, respLen *C.size_t) (rc C.int32_t) {
	answer := func(code C.int32_t, b []byte) C.int32_t {
		p := C.malloc(C.size_t(len(b)) + 1)
		C.memcpy(p, unsafe.Pointer(&append(b, 0)[0]), C.size_t(len(b)))
		*resp = (*C.uint8_t)(p)
		*respLen = C.size_t(len(b))
		return code
	}
	fail := func(message string) C.int32_t {
		b, _ := json.Marshal(map[string]any{"code": 1, "message": message})
		return answer(1, b)
	}
	defer func() {
		if r := recover(); r != nil {
			if m, ok := r.(failure); ok {
				rc = fail(string(m))
			} else {
				rc = fail(fmt.Sprint("panic: ", r))
			}
		}
	}()
	mu.Lock()
	f, ok := functions[C.GoString(method)]
	mu.Unlock()
	if !ok {
		return fail("no such function")
	}
	in := []byte{}
	if reqLen > 0 {
		in = append(in, unsafe.Slice((*byte)(unsafe.Pointer(req)), int(reqLen))...) // a copy, whatever its length
	}
	result, err := f.call(json.RawMessage(in))
	if err != nil {
		return fail(err.Error())
	}
	b, err := json.Marshal(result)
	if err != nil {
		return fail("its result is not JSON: " + err.Error())
	}
	return answer(0, b)
}

//export atrium_free
func atrium_free(p *C.uint8_t, n C.size_t) {
	C.free(unsafe.Pointer(p))
}
