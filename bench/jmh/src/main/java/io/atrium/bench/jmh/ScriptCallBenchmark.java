package io.atrium.bench.jmh;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Script plugins: the same trivial Greeter (bench/scripts/trivial.js and .lua, the text the Go
 * interpreters run in bench/scripts.py) as a JavaScript and a Lua plugin, through the service consumers
 * get (facade, contract proxy, the plugin's turn, the budget, values across the sandbox), beside the
 * English sample in the JVM, the same Greeter as a wasm plugin (examples/wasm/compute) and, when
 * {@code atrium.goGreeter} names the built examples/process/go-greeter, as a process plugin; the
 * examples' greeters; and fib(25) in each language. Each as shipped (traced) and with tracing unsampled.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class ScriptCallBenchmark {
    /** As shipped (every call traced, kept in memory), or the spans made but none sampled, as GreeterCallBenchmark measures it. */
    @Param({"traced", "unsampled"})
    String observability;

    private Atrium atrium;
    private Path work;
    private Greeter java;
    private Greeter wasm;
    private Greeter process;
    private Greeter js;
    private Greeter lua;
    private Greeter jsExample;
    private Greeter luaExample;
    private Greeter jsFib;
    private Greeter luaFib;

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path examples = Path.of(System.getProperty("atrium.examples", "examples"));
        Path scripts = examples.resolveSibling("bench").resolve("scripts");
        work = Files.createTempDirectory("atrium-script-bench");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Files.copy(Path.of(System.getProperty("atrium.sample.jar")), folder.resolve("english.jar"));
        Files.copy(examples.resolve("wasm/compute/compute.wasm"), folder.resolve("compute.wasm"));
        Files.writeString(folder.resolve("wasm-greeter.wasm.json"),
                "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"compute.wasm\"}");
        String go = System.getProperty("atrium.goGreeter");
        if (go != null) {
            Files.copy(Path.of(go), folder.resolve("go-greeter"));
            folder.resolve("go-greeter").toFile().setExecutable(true);
            Files.writeString(folder.resolve("go-greeter.plugin.json"),
                    "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"./go-greeter\"]}");
        }
        Files.copy(scripts.resolve("trivial.js"), folder.resolve("js.js"));
        Files.copy(scripts.resolve("trivial.lua"), folder.resolve("lua.lua"));
        Files.copy(examples.resolve("scripts/greeter.js"), folder.resolve("js-example.js"));
        Files.copy(examples.resolve("scripts/greeter.lua"), folder.resolve("lua-example.lua"));
        // fib as the contract's greet: the same functions, a header that maps nothing but gives them time
        String jsFibText = Files.readString(scripts.resolve("trivial.js")).replace("\"Greeter\" }", "\"Greeter\", \"limits\": {\"callTimeoutMs\": 60000} }")
                .replace("function greet(name) { return \"Hello, \" + name + \"!\"; }", "function greet(n) { return String(fib(parseInt(n))); }");
        Files.writeString(folder.resolve("js-fib.js"), jsFibText);
        String luaFibText = Files.readString(scripts.resolve("trivial.lua")).replace("\"Greeter\" }", "\"Greeter\", \"limits\": {\"callTimeoutMs\": 60000} }")
                .replace("function greet(name) return \"Hello, \" .. name .. \"!\" end", "function greet(n) return tostring(fib(tonumber(n))) end");
        Files.writeString(folder.resolve("lua-fib.lua"), luaFibText);
        if (observability.equals("unsampled")) {
            Files.writeString(folder.resolve("io.atrium.tracing.cfg"), "sampleRatio = 0\n");
        }
        atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start();
        Duration wait = Duration.ofSeconds(30);
        java = atrium.awaitService(Greeter.class, "english", wait);
        wasm = atrium.awaitService(Greeter.class, "wasm-greeter", wait);
        process = go == null ? null : atrium.awaitService(Greeter.class, "go-greeter", wait);
        js = atrium.awaitService(Greeter.class, "js", wait);
        lua = atrium.awaitService(Greeter.class, "lua", wait);
        jsExample = atrium.awaitService(Greeter.class, "js-example", wait);
        luaExample = atrium.awaitService(Greeter.class, "lua-example", wait);
        jsFib = atrium.awaitService(Greeter.class, "js-fib", wait);
        luaFib = atrium.awaitService(Greeter.class, "lua-fib", wait);
        for (Greeter g : new Greeter[] {js, lua, wasm, jsExample, luaExample}) {
            if (!g.greet("World").equals("Hello, World!")) {
                throw new IllegalStateException("a greeter disagrees: " + g.greet("World"));
            }
        }
        if (!jsFib.greet("25").equals("75025") || !luaFib.greet("25").equals("75025")) {
            throw new IllegalStateException("fib(25) is not 75025: " + jsFib.greet("25") + " / " + luaFib.greet("25"));
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        atrium.stop();
        BenchFiles.deleteTree(work);
    }

    @Benchmark
    public String greetJava() {
        return java.greet("World");
    }

    @Benchmark
    public String greetWasm() {
        return wasm.greet("World");
    }

    @Benchmark
    public String greetProcess() {
        return process == null ? "" : process.greet("World");
    }

    @Benchmark
    public String greetJavaScript() {
        return js.greet("World");
    }

    @Benchmark
    public String greetLua() {
        return lua.greet("World");
    }

    @Benchmark
    public String greetJavaScriptExample() {
        return jsExample.greet("World");
    }

    @Benchmark
    public String greetLuaExample() {
        return luaExample.greet("World");
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public String fib25JavaScript() {
        return jsFib.greet("25");
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public String fib25Lua() {
        return luaFib.greet("25");
    }
}
