package io.atrium.bench.metrics;

import io.atrium.api.PluginProperties;
import io.atrium.observability.metrics.CallMetrics;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of recording one call's duration into one method's histogram, by one thread and by two
 * threads on the same histogram (contended), for: {@code atrium}, the observability bundle's own meters
 * ({@code MethodMeters.end} through {@link CallMetrics#observe}: a bucket, the sum, the outcome and the
 * fastest and slowest call); {@code prometheus}, Prometheus' client {@code Histogram.observe} with the
 * same 27 classic bounds (classic only, no exemplars); {@code hdrConcurrent}, HdrHistogram's
 * {@code ConcurrentHistogram.recordValue} (100 ns to 60 s, 2 significant digits); {@code hdrRecorder},
 * its {@code Recorder.recordValue} (the same, with interval snapshots). The libraries record a duration
 * only: the outcome counter and the extremes would come on top. The durations are a fixed random
 * series, log-uniform from 1 µs to 2 ms, so the bucket varies as in real calls. {@link ClockReadBenchmark}
 * is what an observed call adds besides. bench/jmh.sh runs them: {@code bench/jmh.sh 'bench.metrics'}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HistogramRecordBenchmark {
    /** The upper bounds of Atrium's buckets in nanoseconds (MethodMeters.BOUNDS): 1-2.5-5 per decade from 100 ns to 5 s, then 10, 30, 60 s. */
    static final long[] BOUNDS_NANOS = bounds();
    private static final int SERIES = 4096; // a power of two: the cursor wraps with a mask

    @Param({"atrium", "prometheus", "hdrConcurrent", "hdrRecorder"})
    String recorder;

    private LongConsumer record;
    /** What {@link #check} reads the count from. */
    private Object histogram;
    final long[] durations = new long[SERIES];

    /** Each thread's place in the series. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(19);
        for (int i = 0; i < SERIES; i++) {
            durations[i] = (long) Math.exp(Math.log(1_000) + random.nextDouble() * (Math.log(2_000_000) - Math.log(1_000)));
        }
        switch (recorder) {
            case "atrium" -> {
                CallMetrics metrics = new CallMetrics();
                MethodObserver meters = metrics
                        .observe(new CallSite("bench", "1.0.0", PluginProperties.IN_PROCESS, "io.atrium.api.greeting.Greeter", "greet"));
                histogram = metrics;
                record = nanos -> meters.end(nanos, CallOutcome.SUCCESS, null);
            }
            case "prometheus" -> {
                double[] seconds = new double[BOUNDS_NANOS.length];
                for (int i = 0; i < seconds.length; i++) {
                    seconds[i] = BOUNDS_NANOS[i] / 1e9;
                }
                Histogram h = Histogram.builder().name("plugin_call_duration_seconds").help("bench")
                        .labelNames("plugin", "method").classicUpperBounds(seconds).classicOnly().withoutExemplars().build();
                DistributionDataPoint point = h.labelValues("bench", "greet"); // held per method, as the meters are
                histogram = h;
                record = nanos -> point.observe(nanos / 1e9);
            }
            case "hdrConcurrent" -> {
                ConcurrentHistogram h = new ConcurrentHistogram(100, 60_000_000_000L, 2);
                histogram = h;
                record = h::recordValue;
            }
            case "hdrRecorder" -> {
                Recorder h = new Recorder(100, 60_000_000_000L, 2);
                histogram = h;
                record = h::recordValue;
            }
            default -> throw new IllegalArgumentException("recorder: " + recorder);
        }
    }

    private static long[] bounds() {
        long[] b = new long[27];
        int i = 0;
        for (long decade = 100; decade <= 1_000_000_000L; decade *= 10) {
            b[i++] = decade;
            b[i++] = decade * 5 / 2;
            b[i++] = decade * 5;
        }
        b[i++] = 10_000_000_000L;
        b[i++] = 30_000_000_000L;
        b[i] = 60_000_000_000L;
        return b;
    }

    private void recordNext(Cursor cursor) {
        record.accept(durations[cursor.next++ & (SERIES - 1)]);
    }

    @Benchmark
    @Threads(1)
    public void oneThread(Cursor cursor) {
        recordNext(cursor);
    }

    @Benchmark
    @Threads(2)
    public void twoThreads(Cursor cursor) {
        recordNext(cursor);
    }

    /** Fails the run if the recorder did not count what it was given (a benchmark of dead code measures nothing). */
    @TearDown
    public void check() {
        long counted = switch (recorder) {
            case "atrium" -> ((CallMetrics) histogram).plugin("bench").outcomes().getOrDefault("success", 0L);
            case "prometheus" -> ((Histogram) histogram).collect().getDataPoints().get(0).getCount();
            case "hdrConcurrent" -> ((ConcurrentHistogram) histogram).getTotalCount();
            default -> ((Recorder) histogram).getIntervalHistogram().getTotalCount();
        };
        if (counted == 0) {
            throw new IllegalStateException(recorder + " counted no call");
        }
    }
}
