package io.atrium.bench.jmh;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.extism.sdk.chicory.Manifest;
import org.extism.sdk.chicory.ManifestWasm;
import org.extism.sdk.chicory.Plugin;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The wasm transport (issue 5): a trivial Greeter call (examples/wasm/compute, AssemblyScript with
 * Extism's PDK) end to end through the service consumers get (facade, contract proxy, JSON in, Extism
 * ABI, JSON out), beside Extism's own Java SDK (chicory-sdk-core 0.3.0, its "AoT" mode) calling the
 * same module with the same input; the example greeter; and fib(25) compiled, interpreted and in Java.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class WasmCallBenchmark {
    private Atrium atrium;
    private Path work;
    private Greeter atriumGreeter;
    private Greeter exampleGreeter;
    private Greeter cGreeter;
    private Greeter fibCompiled;
    private Greeter fibInterpreted;
    private Plugin extism;
    private final byte[] input = "[\"World\"]".getBytes(StandardCharsets.UTF_8);

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path examples = Path.of(System.getProperty("atrium.examples", "examples")).resolve("wasm");
        work = Files.createTempDirectory("atrium-wasm-bench");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Files.copy(examples.resolve("assemblyscript-greeter/greeter.wasm"), folder.resolve("greeter.wasm"));
        Files.copy(examples.resolve("compute/compute.wasm"), folder.resolve("compute.wasm"));
        Files.writeString(folder.resolve("as-greeter.wasm.json"),
                "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"greeter.wasm\"}");
        Files.copy(examples.resolve("c-greeter/greeter.wasm"), folder.resolve("c-greeter.wasm"));
        Files.writeString(folder.resolve("c-greeter.wasm.json"),
                "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"c-greeter.wasm\"}");
        Files.writeString(folder.resolve("trivial.wasm.json"),
                "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"compute.wasm\"}");
        for (String engine : new String[] {"compiled", "interpreted"}) {
            Files.writeString(folder.resolve("fib-" + engine + ".wasm.json"), "{\"version\": \"1.0.0\", \"contract\": "
                    + "\"io.atrium.api.greeting.Greeter\", \"wasm\": \"compute.wasm\", \"exports\": {\"greet\": \"fib\"}, "
                    + "\"encoding\": \"raw\", \"engine\": \"" + engine + "\", \"limits\": {\"callTimeoutMs\": 60000}}");
        }
        atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start();
        atriumGreeter = atrium.awaitService(Greeter.class, "trivial", Duration.ofSeconds(30));
        exampleGreeter = atrium.awaitService(Greeter.class, "as-greeter", Duration.ofSeconds(30));
        cGreeter = atrium.awaitService(Greeter.class, "c-greeter", Duration.ofSeconds(30));
        fibCompiled = atrium.awaitService(Greeter.class, "fib-compiled", Duration.ofSeconds(30));
        fibInterpreted = atrium.awaitService(Greeter.class, "fib-interpreted", Duration.ofSeconds(30));
        extism = Plugin.ofManifest(Manifest.ofWasms(ManifestWasm.fromBytes(Files.readAllBytes(folder.resolve("compute.wasm"))).build())
                .withOptions(new Manifest.Options().withAoT()).build()).build();
        String a = atriumGreeter.greet("World");
        String e = new String(extism.call("greet", input), StandardCharsets.UTF_8);
        if (!a.equals("Hello, World!") || !e.equals("\"Hello, World!\"")) {
            throw new IllegalStateException("the two hosts disagree: " + a + " / " + e);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        atrium.stop();
        BenchFiles.deleteTree(work);
    }

    /** Atrium: the Greeter service of the wasm plugin, JSON in and out included. */
    @Benchmark
    public String greetAtrium() {
        return atriumGreeter.greet("World");
    }

    /** Atrium with examples/wasm/assemblyscript-greeter: JSON parsed and written by AssemblyScript, a configuration read. */
    @Benchmark
    public String greetExampleAtrium() {
        return exampleGreeter.greet("World");
    }

    /** The same example greeter written in C (examples/wasm/c-greeter): task 13's second language. */
    @Benchmark
    public String greetExampleC() {
        return cGreeter.greet("World");
    }

    /** Extism's Java SDK on the same module and input (bytes out; decoding them would only add). */
    @Benchmark
    public byte[] greetExtismJavaSdk() {
        return extism.call("greet", input);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public String fib25Compiled() {
        return fibCompiled.greet("25");
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public String fib25Interpreted() {
        return fibInterpreted.greet("25");
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public String fib25Java() {
        return Integer.toString(fib(Integer.parseInt("25")));
    }

    private static int fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }
}
