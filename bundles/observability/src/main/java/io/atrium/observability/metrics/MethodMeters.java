package io.atrium.observability.metrics;

import io.atrium.api.CallStatistics;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The numbers of one plugin method, recorded on every call with three striped-counter increments:
 * its calls by outcome (Micrometer's {@code plugin_calls_total{plugin,method,status}}, a function
 * counter over them) and its durations in fixed buckets (the Prometheus histogram
 * {@code plugin_call_duration_seconds{plugin,method}}, see {@link DurationHistogram}).
 *
 * <p>Why not a Micrometer {@code Timer}: with these 27 buckets its {@code record} costs 77 ns (its
 * time-windowed histogram and max), measured beside these counters' ~15 ns; with the two clock reads
 * of a call (2 × 23 ns here) that would break the budget of 100 ns per observed call (docs/benchmarks.md).
 */
final class MethodMeters implements MethodObserver {
    /** Bucket upper bounds in nanoseconds: 1-2.5-5 per decade from 100 ns to 5 s, then 10, 30 and 60 s. */
    static final long[] BOUNDS = bounds();

    private final String plugin;
    private final String method;
    /** By bucket; the last is beyond the largest bound (+Inf). Not cumulative. */
    private final LongAdder[] buckets = new LongAdder[BOUNDS.length + 1];
    private final LongAdder sumNanos = new LongAdder();
    /** By {@link CallOutcome#ordinal()}. */
    private final LongAdder[] outcomes = new LongAdder[CallOutcome.values().length];

    /** Its counters in the Micrometer registry, removed with {@link #remove}. */
    private final java.util.List<io.micrometer.core.instrument.Meter> meters = new java.util.ArrayList<>();

    /** Takes its counters out of the registry: the plugin was uninstalled. */
    void remove(MeterRegistry registry) {
        meters.forEach(registry::remove);
    }

    MethodMeters(MeterRegistry registry, CallSite site) {
        this.plugin = site.plugin();
        this.method = site.method();
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
        for (CallOutcome o : CallOutcome.values()) {
            LongAdder count = new LongAdder();
            outcomes[o.ordinal()] = count;
            meters.add(FunctionCounter.builder("plugin.calls", count, LongAdder::doubleValue)
                    .description("Calls made to plugins through Atrium, by outcome")
                    .tags("plugin", plugin, "method", method, "status", o.label())
                    .register(registry));
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

    @Override
    public void begin() {
        // nothing: the facade measures the time
    }

    @Override
    public void end(long nanos, CallOutcome outcome, Throwable failure) {
        int at = Arrays.binarySearch(BOUNDS, nanos);
        buckets[at >= 0 ? at : -at - 1].increment(); // a value equal to a bound belongs to that bucket (le)
        sumNanos.add(nanos);
        outcomes[outcome.ordinal()].increment();
    }

    String plugin() {
        return plugin;
    }

    String method() {
        return method;
    }

    /** @return the bucket counts now, not cumulative, the last beyond every bound */
    long[] bucketCounts() {
        long[] counts = new long[buckets.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = buckets[i].sum();
        }
        return counts;
    }

    double sumSeconds() {
        return sumNanos.sum() / 1e9;
    }

    Map<String, Long> outcomes() {
        Map<String, Long> byLabel = new LinkedHashMap<>();
        for (CallOutcome o : CallOutcome.values()) {
            long n = outcomes[o.ordinal()].sum();
            if (n > 0) {
                byLabel.put(o.label(), n);
            }
        }
        return byLabel;
    }

    CallStatistics statistics() {
        long[] counts = bucketCounts();
        return new CallStatistics(plugin, method, outcomes(), quantile(counts, 0.5), quantile(counts, 0.99));
    }

    /**
     * A quantile in milliseconds from bucket counts (not cumulative, the last beyond every bound),
     * interpolated linearly inside the bucket it falls in, as Prometheus' histogram_quantile does.
     */
    static double quantile(long[] counts, double q) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return Double.NaN;
        }
        double rank = q * total;
        long below = 0;
        for (int i = 0; i < counts.length; i++) {
            if (below + counts[i] >= rank && counts[i] > 0) {
                if (i == BOUNDS.length) {
                    return BOUNDS[BOUNDS.length - 1] / 1e6; // beyond the last bound: its bound is the best lower estimate
                }
                double lower = i == 0 ? 0 : BOUNDS[i - 1];
                double fraction = (rank - below) / counts[i];
                return (lower + (BOUNDS[i] - lower) * fraction) / 1e6;
            }
            below += counts[i];
        }
        return Double.NaN;
    }
}
