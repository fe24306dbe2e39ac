package io.atrium.bench.scripts;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptEngine;
import io.atrium.transport.script.engine.ScriptHost;
import io.atrium.transport.script.js.RhinoEngine;
import io.atrium.transport.script.lua.LuaEngine;
import io.atrium.transport.script.manifest.ScriptManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The script transport's engines alone, outside the server: the same call a script plugin's service makes
 * at its core (the budget started, the arguments in, the function run under the instruction observer or
 * count hook, the result out as JSON), without the facade, the observation, the kit and the plugin's turn.
 * The same trivial Greeter text as ScriptCallBenchmark and the Go peer (bench/scripts).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class ScriptEngineBenchmark {
    private static final ScriptHost HOST = new ScriptHost() {
        @Override
        public void log(String level, String message) {
        }

        @Override
        public JsonObject config() {
            return new JsonObject();
        }

        @Override
        public JsonElement call(String plugin, String method, List<JsonElement> args) {
            throw new IllegalArgumentException("none");
        }
    };
    private final Object[] args = {"World"};
    private Program js;
    private Program lua;

    @Setup(Level.Trial)
    public void load() throws Exception {
        Path scripts = Path.of(System.getProperty("atrium.examples", "examples")).resolveSibling("bench").resolve("scripts");
        js = load(new RhinoEngine(), scripts.resolve("trivial.js"));
        lua = load(new LuaEngine(), scripts.resolve("trivial.lua"));
    }

    private static Program load(ScriptEngine engine, Path file) throws Exception {
        ScriptManifest m = ScriptManifest.parse(file, Files.readAllBytes(file));
        Budget b = new Budget();
        b.start(m.callTimeoutMs(), m.limits().maxAllocationMb() << 20);
        return engine.load(m, HOST, b);
    }

    private JsonElement call(Program p) {
        Budget b = p.budget();
        b.start(1_000, 256 << 20);
        return p.call("greet", args, b);
    }

    @Benchmark
    public JsonElement javaScriptEngine() {
        return call(js);
    }

    @Benchmark
    public JsonElement luaEngine() {
        return call(lua);
    }
}
