package io.atrium.observability.metrics;

import io.atrium.api.CallStatistics;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one plugin method: {@code plugin_calls_total{plugin,method,status}} and the
 * histogram {@code plugin_call_duration_seconds{plugin,method}}, recorded on every call.
 */
final class MethodMeters implements MethodObserver {
    /**
     * Histogram buckets, 1-2.5-5 per decade from 100 ns (an in-process call) to a minute (a slow
     * process plugin): 27 series per method, where Micrometer's own percentile histogram makes 135.
     */
    static final Duration[] BUCKETS = buckets();

    private static Duration[] buckets() {
        java.util.List<Duration> b = new java.util.ArrayList<>();
        for (long decade = 100; decade <= 1_000_000_000L; decade *= 10) {
            b.add(Duration.ofNanos(decade));
            b.add(Duration.ofNanos(decade * 5 / 2));
            b.add(Duration.ofNanos(decade * 5));
        }
        b.add(Duration.ofSeconds(10));
        b.add(Duration.ofSeconds(30));
        b.add(Duration.ofSeconds(60));
        return b.toArray(new Duration[0]);
    }

    private final MeterRegistry registry;
    private final String plugin;
    private final String method;
    private final Timer timer;
    /** By {@link CallOutcome#ordinal()}, made on first use: most methods never time out. */
    private final Counter[] counters = new Counter[CallOutcome.values().length];

    MethodMeters(MeterRegistry registry, CallSite site) {
        this.registry = registry;
        this.plugin = site.plugin();
        this.method = site.method();
        this.timer = Timer.builder("plugin.call.duration")
                .description("Duration of the calls made to plugins through Atrium")
                .tags("plugin", plugin, "method", method)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
        counter(CallOutcome.SUCCESS);
    }

    @Override
    public void begin() {
        // nothing: the facade measures the time
    }

    @Override
    public void end(long nanos, CallOutcome outcome, Throwable failure) {
        timer.record(nanos, TimeUnit.NANOSECONDS);
        Counter c = counters[outcome.ordinal()];
        (c != null ? c : counter(outcome)).increment();
    }

    private Counter counter(CallOutcome outcome) {
        Counter c = Counter.builder("plugin.calls")
                .description("Calls made to plugins through Atrium, by outcome")
                .tags("plugin", plugin, "method", method, "status", outcome.label())
                .register(registry); // the registry returns the same counter when asked twice
        counters[outcome.ordinal()] = c;
        return c;
    }

    String plugin() {
        return plugin;
    }

    String method() {
        return method;
    }

    Map<String, Long> outcomes() {
        Map<String, Long> byLabel = new LinkedHashMap<>();
        for (CallOutcome o : CallOutcome.values()) {
            Counter c = counters[o.ordinal()];
            if (c != null && c.count() > 0) {
                byLabel.put(o.label(), (long) c.count());
            }
        }
        return byLabel;
    }

    HistogramSnapshot snapshot() {
        return timer.takeSnapshot();
    }

    CallStatistics statistics() {
        HistogramSnapshot s = snapshot();
        return new CallStatistics(plugin, method, outcomes(), quantile(s.histogramCounts(), 0.5), quantile(s.histogramCounts(), 0.99));
    }

    /**
     * A quantile in milliseconds from cumulative bucket counts, interpolated linearly inside the
     * bucket it falls in, as Prometheus' histogram_quantile does.
     */
    static double quantile(CountAtBucket[] buckets, double q) {
        if (buckets.length == 0) {
            return Double.NaN;
        }
        double total = buckets[buckets.length - 1].count();
        if (total == 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (CountAtBucket b : buckets) {
            double upper = b.bucket(TimeUnit.NANOSECONDS);
            if (b.count() >= rank) {
                double inBucket = b.count() - lowerCount;
                double fraction = inBucket == 0 ? 1 : (rank - lowerCount) / inBucket;
                return (lowerBound + (upper - lowerBound) * fraction) / 1e6;
            }
            lowerBound = upper;
            lowerCount = b.count();
        }
        return lowerBound / 1e6; // beyond the last bucket: its bound is the best lower estimate
    }
}
