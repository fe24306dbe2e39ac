package io.atrium.bench.jmh;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
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
 * A Greeter call through a DS-injected reference inside a real Atrium (the English sample in its
 * bundle, the consumer in another) against the same two objects as plain Java: the reference should
 * add nothing measurable. {@code observability} (issue 6): {@code off} stops the observability
 * bundle (the facade's probe finds no observer); {@code metrics} counts and times every call, tracing
 * off; {@code traced} adds a span per call (the default: all sampled, kept in memory);
 * {@code unsampled} makes the spans but samples none.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class GreeterCallBenchmark {
    /** The same code as the English sample, loaded from the class path. */
    static final class PlainGreeter implements Greeter {
        @Override
        public String greet(String name) {
            return "Hello, " + name + "!";
        }
    }

    /** The same shape as the bundle's consumer, holding its Greeter in a field. */
    static final class PlainConsumer implements UnaryOperator<String> {
        final Greeter greeter = new PlainGreeter();

        @Override
        public String apply(String name) {
            return greeter.greet(name);
        }
    }

    @Param({"World"})
    String name;

    @Param({"off", "metrics", "traced", "unsampled"})
    String observability;

    private Atrium atrium;
    private Path work;
    private UnaryOperator<String> viaDs;
    private Greeter viaRegistry;
    private UnaryOperator<String> plain;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void start() throws Exception {
        work = Files.createTempDirectory("atrium-jmh");
        Path plugins = Files.createDirectories(work.resolve("plugins"));
        Files.copy(Path.of(System.getProperty("atrium.sample.jar")), plugins.resolve("english.jar"));
        Files.copy(Path.of(System.getProperty("atrium.bench.jar")), plugins.resolve("consumer.jar"));
        switch (observability) {
            case "metrics" -> Files.writeString(plugins.resolve("io.atrium.tracing.cfg"), "enabled = false\n");
            case "unsampled" -> Files.writeString(plugins.resolve("io.atrium.tracing.cfg"), "sampleRatio = 0\n");
            default -> { }
        }
        atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(plugins).start();
        if (observability.equals("off")) {
            // the observability bundle starts just after the ready line, on a thread of its own: stopped
            // before that, it would be started again under the benchmark
            atrium.awaitStarted(java.time.Duration.ofSeconds(30));
            for (var b : atrium.bundleContext().getBundles()) {
                if (b.getSymbolicName().equals("io.atrium.observability")) {
                    b.stop();
                }
            }
        }
        viaRegistry = atrium.awaitService(Greeter.class, "english", java.time.Duration.ofSeconds(10));
        var refs = atrium.bundleContext().getAllServiceReferences(UnaryOperator.class.getName(), "(atrium.bench=ds-consumer)");
        viaDs = (UnaryOperator<String>) atrium.bundleContext().getService(refs[0]);
        plain = new PlainConsumer();
        if (!viaDs.apply(name).equals(plain.apply(name))) {
            throw new IllegalStateException("the two paths greet differently");
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        atrium.stop();
        BenchFiles.deleteTree(work);
    }

    @Benchmark
    public String directJavaCall() {
        return plain.apply(name);
    }

    @Benchmark
    public String dsInjectedReference() {
        return viaDs.apply(name);
    }

    @Benchmark
    public String serviceFromRegistry() {
        return viaRegistry.greet(name);
    }
}
