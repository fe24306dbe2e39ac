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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The numbers of one plugin method, recorded on every call with three striped-counter increments:
 * its calls by outcome (Micrometer's {@code plugin_calls_total{plugin,method,status}}, a function
 * counter over them) and its durations in fixed buckets (the Prometheus histogram
 * {@code plugin_call_duration_seconds{plugin,method}}, see {@link DurationHistogram}); and with two
 * reads, its fastest and slowest call, which bound the quantiles read from those buckets
 * ({@link Durations}).
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
    /**
     * The fastest and slowest call so far. Plain atomics, not striped: once they settle, a call only
     * reads them (a CAS only for a new extreme), and a read-only cache line is shared by every core.
     */
    private final AtomicLong minNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong maxNanos = new AtomicLong(Long.MIN_VALUE);
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
        // the extremes before the bucket: whoever reads a bucket's count then the extremes (durations()) sees them cover it
        long min;
        while (nanos < (min = minNanos.get()) && !minNanos.compareAndSet(min, nanos)) {
            // another call set a new minimum meanwhile: compare with that one
        }
        long max;
        while (nanos > (max = maxNanos.get()) && !maxNanos.compareAndSet(max, nanos)) {
            // likewise
        }
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

    /** @return the durations of its calls so far */
    Durations durations() {
        long[] counts = bucketCounts();
        return new Durations(counts, minNanos.get(), maxNanos.get()); // read after the counts: see end()
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
        Durations d = durations();
        return new CallStatistics(plugin, method, outcomes(), d.quantileMillis(0.5), d.quantileMillis(0.99));
    }
}
