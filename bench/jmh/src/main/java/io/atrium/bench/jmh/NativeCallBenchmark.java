package io.atrium.bench.jmh;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Native plugins in the server's JVM: the Greeter of examples/native in C, Rust and Go, built here (gcc,
 * rustc, go; a language whose toolchain is missing is left out, and its benchmark fails saying so), called
 * through the service consumers get (facade, observation, the kit, JSON across the C ABI, JNA's direct
 * mapping), beside the English sample in the JVM. As shipped (traced) and with tracing unsampled.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class NativeCallBenchmark {
    @Param({"traced", "unsampled"})
    String observability;

    private Atrium atrium;
    private Path work;
    private Greeter java;
    private Greeter c;
    private Greeter rust;
    private Greeter go;

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path examples = Path.of(System.getProperty("atrium.examples", "examples")).toAbsolutePath().normalize();
        Path sdk = examples.resolveSibling("sdk").resolve("native");
        work = Files.createTempDirectory("atrium-native-bench");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Files.copy(Path.of(System.getProperty("atrium.sample.jar")), folder.resolve("english.jar"));
        String manifest = "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"library\": \"lib%s.so\", \"isolation\": \"in-process\"}";
        List<String> built = new ArrayList<>();
        if (run(work, Map.of(), "gcc", "-shared", "-fPIC", "-O2", "-I" + sdk.resolve("c"), "-o", folder.resolve("libc.so").toString(),
                examples.resolve("native/c-greeter/greeter.c").toString())) {
            built.add("c");
        }
        if (run(work, Map.of(), "rustc", "--edition", "2021", "--crate-type", "cdylib", "-C", "opt-level=2", "-o", folder.resolve("librust.so").toString(),
                examples.resolve("native/rust-greeter/greeter.rs").toString())) {
            built.add("rust");
        }
        Path src = Files.createDirectories(work.resolve("gopath/src/greeter"));
        Files.copy(examples.resolve("native/go-greeter/main.go"), src.resolve("main.go"));
        if (run(src, Map.of("GO111MODULE", "off", "GOPATH", work.resolve("gopath") + ":" + sdk.resolve("go"), "GOCACHE", work.resolve("gocache").toString()),
                "go", "build", "-buildmode=c-shared", "-o", folder.resolve("libgo.so").toString(), ".")) {
            built.add("go");
        }
        for (String lang : built) {
            Files.writeString(folder.resolve(lang + ".native.json"), manifest.formatted(lang));
        }
        if (observability.equals("unsampled")) {
            Files.writeString(folder.resolve("io.atrium.tracing.cfg"), "sampleRatio = 0\n");
        }
        atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start();
        Duration wait = Duration.ofSeconds(30);
        java = atrium.awaitService(Greeter.class, "english", wait);
        c = built.contains("c") ? atrium.awaitService(Greeter.class, "c", wait) : null;
        rust = built.contains("rust") ? atrium.awaitService(Greeter.class, "rust", wait) : null;
        go = built.contains("go") ? atrium.awaitService(Greeter.class, "go", wait) : null;
        for (Greeter g : new Greeter[] {c, rust, go}) {
            if (g != null && !g.greet("World").startsWith("Hello, World! (from ")) {
                throw new IllegalStateException("a greeter disagrees: " + g.greet("World"));
            }
        }
    }

    private static boolean run(Path dir, Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            String said = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                System.err.println(String.join(" ", cmd) + " failed:\n" + said);
                return false;
            }
            return true;
        } catch (java.io.IOException missing) {
            System.err.println(cmd[0] + " is not installed: " + missing.getMessage());
            return false;
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        atrium.stop();
        BenchFiles.deleteTree(work);
    }

    private static String greet(Greeter g, String lang) {
        if (g == null) {
            throw new IllegalStateException("the " + lang + " greeter was not built (its toolchain is missing)");
        }
        return g.greet("World");
    }

    @Benchmark
    public String greetJava() {
        return java.greet("World");
    }

    @Benchmark
    public String greetC() {
        return greet(c, "C");
    }

    @Benchmark
    public String greetRust() {
        return greet(rust, "Rust");
    }

    @Benchmark
    public String greetGo() {
        return greet(go, "Go");
    }
}
