// The Go peer of a gRPC transport benchmark: hashicorp/go-plugin's own host (Debian's 1.0.1, gRPC)
// launching go-plugin's unmodified KV example plugin (examples/grpc/plugin-go-grpc), timed the way
// bench/process/goplugin times the net/rpc Greeter. The client side is the KV example's own shared
// package, imported from the extracted go-plugin source on the GOPATH; build-kv.sh builds this peer.
//
//	examples/grpc/build-kv.sh OUT                 (builds OUT/kv-go-grpc and OUT/goplugin-kv, among others)
//	OUT/goplugin-kv bench OUT/kv-go-grpc          (prints "name value unit" lines, a few minutes)
//	OUT/goplugin-kv launch OUT/kv-go-grpc         (the launch and crash rows alone)
//	OUT/goplugin-kv smoke OUT/kv-go-grpc          (every row with tiny counts: checks it runs, figures meaningless)
//
// Each call is the example's Get of one key. The KV plugin keeps its values in files named kv_KEY in its
// working directory, so a Get is a gRPC round trip plus one small file read in the plugin. The plugins run in
// a temporary directory, which is also their TMPDIR (go-plugin's Unix sockets; a SIGKILL leaves one behind).
package main

import (
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/examples/grpc/shared"
)

type scale struct {
	warmup, calls, seqRuns int
	tputRuns               int
	tputTime               time.Duration
	launches, crashes      int
}

// full mirrors io.atrium.bench.process.ProcessBenchmark and bench/process/goplugin.
var full = scale{warmup: 50000, calls: 100000, seqRuns: 5, tputRuns: 3, tputTime: 3 * time.Second, launches: 21, crashes: 10}
var smoke = scale{warmup: 100, calls: 200, seqRuns: 1, tputRuns: 1, tputTime: 200 * time.Millisecond, launches: 3, crashes: 2}

const key = "bench"

var pluginBin, dir string

// logger keeps go-plugin's host quiet (its default is Trace to stderr) but shows warnings and errors.
var logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: os.Stderr, Level: hclog.Warn})

func launch() (*plugin.Client, shared.KV) {
	cmd := exec.Command(pluginBin)
	cmd.Dir = dir
	c := plugin.NewClient(&plugin.ClientConfig{HandshakeConfig: shared.Handshake, Plugins: shared.PluginMap, Cmd: cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC}, Logger: logger, Managed: true})
	rpcClient, err := c.Client()
	if err != nil {
		c.Kill()
		die(err)
	}
	raw, err := rpcClient.Dispense("kv_grpc")
	if err != nil {
		c.Kill()
		die(err)
	}
	return c, raw.(shared.KV)
}

func get(kv shared.KV) {
	if _, err := kv.Get(key); err != nil {
		die(err)
	}
}

var dying sync.Once

// die reports the first error only: the others come from the cleanup (or wait for its os.Exit).
func die(err error) {
	dying.Do(func() {
		fmt.Fprintln(os.Stderr, "goplugin-kv:", err)
		plugin.CleanupClients() // no plugin outlives the peer
		os.RemoveAll(dir)
		os.Exit(1)
	})
}

func pct(d []time.Duration, p float64) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(p*float64(len(s)-1))].Nanoseconds()) / 1000
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "bench" && os.Args[1] != "launch" && os.Args[1] != "smoke") {
		fmt.Fprintln(os.Stderr, "usage: goplugin-kv bench|launch|smoke KV_PLUGIN_BINARY")
		os.Exit(2)
	}
	var err error
	if pluginBin, err = exec.LookPath(os.Args[2]); err != nil {
		die(err)
	}
	if dir, err = ioutil.TempDir("", "goplugin-kv"); err != nil {
		die(err)
	}
	os.Setenv("TMPDIR", dir) // the plugins inherit it: their sockets go there, and away with it
	// A plugin outlives a host that dies (and ignores SIGINT): on ^C, SIGTERM or a closed stdout (| head), end it
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	go func() { die(fmt.Errorf("%v", <-stop)) }()
	code := run(os.Args[1])
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(mode string) int {
	s := full
	if mode == "smoke" {
		s = smoke
	}
	c, kv := launch()
	if err := kv.Put(key, []byte("x")); err != nil {
		c.Kill()
		die(err)
	}
	if mode != "launch" {
		sequential(kv, s)
		throughput(kv, s)
	}
	c.Kill()
	launchBench(s)
	crashBench(s)
	return 0
}

func sequential(kv shared.KV, s scale) {
	for i := 0; i < s.warmup; i++ {
		get(kv)
	}
	var p50s, p99s []float64
	for run := 0; run < s.seqRuns; run++ {
		d := make([]time.Duration, s.calls)
		for i := range d {
			t := time.Now()
			get(kv)
			d[i] = time.Since(t)
		}
		p50s = append(p50s, pct(d, 0.5))
		p99s = append(p99s, pct(d, 0.99))
	}
	fmt.Printf("sequential.p50 %.1f us\nsequential.p99 %.1f us\n", median(p50s), median(p99s))
}

func throughput(kv shared.KV, s scale) {
	var rates []float64
	for run := 0; run < s.tputRuns; run++ {
		var n int64
		var stop int32
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for atomic.LoadInt32(&stop) == 0 {
					get(kv)
					atomic.AddInt64(&n, 1)
				}
			}()
		}
		time.Sleep(s.tputTime)
		atomic.StoreInt32(&stop, 1)
		wg.Wait()
		rates = append(rates, float64(n)/s.tputTime.Seconds())
	}
	fmt.Printf("throughput.8 %.0f calls/s\n", median(rates))
}

// launchBench times NewClient, Client, Dispense and the first answered Get.
func launchBench(s scale) {
	var launches []float64
	for i := 0; i < s.launches; i++ {
		t := time.Now()
		lc, kv := launch()
		get(kv)
		launches = append(launches, float64(time.Since(t).Microseconds())/1000)
		lc.Kill()
	}
	fmt.Printf("launch.first-call %.1f ms\n", median(launches))
}

// crashBench times a SIGKILL of the plugin to the first failed Get of a goroutine calling in a loop.
func crashBench(s scale) {
	var crashes []float64
	for i := 0; i < s.crashes; i++ {
		cc, kv := launch()
		failed := make(chan time.Time, 1)
		go func() {
			for {
				if _, err := kv.Get(key); err != nil {
					failed <- time.Now()
					return
				}
			}
		}()
		time.Sleep(100 * time.Millisecond)
		p, err := os.FindProcess(cc.ReattachConfig().Pid)
		if err != nil {
			die(err)
		}
		t := time.Now()
		if err := p.Kill(); err != nil {
			die(err)
		}
		select {
		case at := <-failed:
			crashes = append(crashes, float64(at.Sub(t).Microseconds())/1000)
		case <-time.After(10 * time.Second):
			die(fmt.Errorf("no failed call 10 s after the plugin was killed"))
		}
		cc.Kill()
	}
	fmt.Printf("crash.first-failure %.2f ms\n", median(crashes))
}
