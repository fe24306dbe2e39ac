// The peer of bench/process.py: hashicorp/go-plugin (Debian's 1.0.1, net/rpc) with the same trivial
// Greeter, timed the way io.atrium.bench.process.ProcessBenchmark times Atrium. Also times Go's
// exec.Command running Atrium's Go greeter once per call (the one-shot peer).
//
//	goplugin-bench plugin          (started by go-plugin: serves the Greeter)
//	goplugin-bench bench GREETER   (prints "name value unit" lines)
//	goplugin-bench exec GREETER    (the exec rows alone)
//	goplugin-bench launch GREETER  (the launch and crash rows alone)
package main

import (
	"fmt"
	"net/rpc"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	plugin "github.com/hashicorp/go-plugin"
)

type Greeter interface{ Greet(name string) string }

type greeterRPC struct{ client *rpc.Client }

func (g *greeterRPC) Greet(name string) string {
	var resp string
	if err := g.client.Call("Plugin.Greet", name, &resp); err != nil {
		panic(err)
	}
	return resp
}

type greeterServer struct{}

func (greeterServer) Greet(name string, resp *string) error {
	*resp = "Hello, " + name + "!"
	return nil
}

type greeterPlugin struct{}

func (greeterPlugin) Server(*plugin.MuxBroker) (interface{}, error) { return greeterServer{}, nil }
func (greeterPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &greeterRPC{client: c}, nil
}

var handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BENCH_PLUGIN", MagicCookieValue: "greeter"}
var plugins = map[string]plugin.Plugin{"greeter": greeterPlugin{}}

func launch() (*plugin.Client, *greeterRPC) {
	c := plugin.NewClient(&plugin.ClientConfig{HandshakeConfig: handshake, Plugins: plugins,
		Cmd: exec.Command(os.Args[0], "plugin"), AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		Logger: nil})
	rpcClient, err := c.Client()
	if err != nil {
		panic(err)
	}
	raw, err := rpcClient.Dispense("greeter")
	if err != nil {
		panic(err)
	}
	return c, raw.(*greeterRPC)
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
	if len(os.Args) > 1 && os.Args[1] == "plugin" {
		plugin.Serve(&plugin.ServeConfig{HandshakeConfig: handshake, Plugins: plugins})
		return
	}
	greeterBin := os.Args[2]
	if os.Args[1] == "exec" { // the exec row alone, for quick A/B runs
		execBench(greeterBin)
		return
	}
	if os.Args[1] == "launch" { // the launch and crash rows alone
		launchBench()
		return
	}
	c, g := launch()
	for i := 0; i < 50000; i++ { // warm-up, as the Java side does
		g.Greet("x")
	}
	var p50s, p99s []float64
	for run := 0; run < 5; run++ {
		d := make([]time.Duration, 100000)
		for i := range d {
			t := time.Now()
			g.Greet("x")
			d[i] = time.Since(t)
		}
		p50s = append(p50s, pct(d, 0.5))
		p99s = append(p99s, pct(d, 0.99))
	}
	fmt.Printf("sequential.p50 %.1f us\nsequential.p99 %.1f us\n", median(p50s), median(p99s))

	var rates []float64
	for run := 0; run < 3; run++ {
		var n int64
		var stop int32
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for atomic.LoadInt32(&stop) == 0 {
					g.Greet("x")
					atomic.AddInt64(&n, 1)
				}
			}()
		}
		time.Sleep(3 * time.Second)
		atomic.StoreInt32(&stop, 1)
		wg.Wait()
		rates = append(rates, float64(n)/3)
	}
	fmt.Printf("throughput.8 %.0f calls/s\n", median(rates))
	c.Kill()
	launchBench()
	execBench(greeterBin)
}

// launchBench times launch to the first answered call, and a SIGKILL to the caller's first failed call.
func launchBench() {
	var launches []float64
	for i := 0; i < 21; i++ {
		t := time.Now()
		lc, lg := launch()
		lg.Greet("x")
		launches = append(launches, float64(time.Since(t).Microseconds())/1000)
		lc.Kill()
	}
	fmt.Printf("launch.first-call %.1f ms\n", median(launches))

	var crashes []float64
	for i := 0; i < 10; i++ {
		cc, cg := launch()
		var failedAt atomic.Value
		done := make(chan struct{})
		go func() {
			defer func() {
				if recover() != nil {
					failedAt.Store(time.Now())
				}
				close(done)
			}()
			for {
				cg.Greet("x")
			}
		}()
		time.Sleep(100 * time.Millisecond)
		pid := cc.ReattachConfig().Pid
		t := time.Now()
		p, _ := os.FindProcess(pid)
		p.Kill()
		<-done
		crashes = append(crashes, float64(failedAt.Load().(time.Time).Sub(t).Microseconds())/1000)
		cc.Kill()
	}
	fmt.Printf("crash.first-failure %.2f ms\n", median(crashes))
}

// execBench runs the greeter once per call with exec.Command, as Atrium's exec mode does.
func execBench(greeterBin string) {
	var execs []time.Duration
	cpu := cpuMs()
	env := append(os.Environ(), "ATRIUM_PLUGIN_COOKIE=atrium-plugin-7f3c9b2e", "ATRIUM_PLUGIN_MODE=exec")
	for i := 0; i < 1000; i++ {
		t := time.Now()
		cmd := exec.Command(greeterBin)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"greet","params":["x"]}` + "\n")
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "Hello, x!") {
			panic(fmt.Sprint(err, string(out)))
		}
		execs = append(execs, time.Since(t))
	}
	time.Sleep(2500 * time.Millisecond) // as the Java side waits for its last exits
	fmt.Printf("exec.p50 %.2f ms\nexec.p99 %.2f ms\nexec.cpu %.2f ms\n", pct(execs, 0.5)/1000, pct(execs, 0.99)/1000,
		(cpuMs()-cpu)/float64(len(execs)))
}

// cpuMs is the CPU time of this process and of its waited-for children, user and system.
func cpuMs() float64 {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	ms := func(t syscall.Timeval) float64 { return float64(t.Sec)*1000 + float64(t.Usec)/1000 }
	return ms(self.Utime) + ms(self.Stime) + ms(children.Utime) + ms(children.Stime)
}
