package io.atrium.observability.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.CallStatistics;
import io.atrium.api.Transport;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodMetersTest {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final MethodMeters meters = new MethodMeters(registry, new CallSite("p", "1.0", Transport.IN_PROCESS, "x.C", "m"));

    @Test
    void aDurationLandsInTheFirstBucketWhoseBoundItDoesNotExceed() {
        meters.end(100, CallOutcome.SUCCESS, null);    // = the first bound (le)
        meters.end(101, CallOutcome.SUCCESS, null);    // just above: the 250 ns bucket
        meters.end(70_000_000_000L, CallOutcome.TIMEOUT, null); // beyond 60 s: +Inf
        long[] counts = meters.bucketCounts();
        assertEquals(1, counts[0]);
        assertEquals(1, counts[1]);
        assertEquals(1, counts[counts.length - 1]);
        assertEquals(3, java.util.Arrays.stream(counts).sum());
        assertEquals(2L, meters.outcomes().get("success"));
        assertEquals(1L, meters.outcomes().get("timeout"));
    }

    @Test
    void quantilesInterpolateInsideTheirBucketBetweenTheFastestAndSlowestCall() {
        for (int i = 0; i < 100; i++) {
            meters.end(i < 50 ? 900 : 2_000, CallOutcome.SUCCESS, null); // half in (500, 1000], half in (1000, 2500]
        }
        assertEquals(0.001, meters.statistics().p50Millis(), 1e-12, "rank 50 is the top of the (500 ns, 1 µs] bucket");
        assertEquals(0.00198, meters.statistics().p99Millis(), 1e-12,
                "98 % of the way through (1 µs, 2 µs]: the bucket up to the slowest call, not to its bound of 2.5 µs");
        CallMetrics none = new CallMetrics();
        assertTrue(Double.isNaN(none.plugin("p").p50Millis()), "no calls: no quantile");
    }

    @Test
    void callsThatAllTakeTheSameTimeHaveThatTimeAsEveryQuantile() {
        // as a plugin capped at 1 s that times out every call: 1000.5 ms, in the (1 s, 2.5 s] bucket
        for (int i = 0; i < 100; i++) {
            meters.end(1_000_500_000L, CallOutcome.TIMEOUT, null);
        }
        assertEquals(1000.5, meters.statistics().p99Millis(), 1e-9, "not 2485 ms, near the bucket's bound");
        assertEquals(1000.5, meters.statistics().p50Millis(), 1e-9, "not 1750 ms, the bucket's middle");
        // and exactly on a bound, the bucket below it: not 750 ms, the middle of (500 ms, 1 s]
        MethodMeters onBound = new MethodMeters(registry, new CallSite("p", "1.0", Transport.IN_PROCESS, "x.C", "n"));
        for (int i = 0; i < 100; i++) {
            onBound.end(1_000_000_000L, CallOutcome.TIMEOUT, null);
        }
        assertEquals(1000.0, onBound.statistics().p50Millis(), 1e-9);
        assertEquals(1000.0, onBound.statistics().p99Millis(), 1e-9);
    }

    @Test
    void quantilesOfMixedDurationsStayBetweenTheFastestAndSlowestCallAndGrowWithTheirRank() {
        CallMetrics metrics = new CallMetrics();
        var fast = metrics.observe(new CallSite("mixed", "1.0", Transport.PROCESS, "x.C", "fast"));
        var slow = metrics.observe(new CallSite("mixed", "1.0", Transport.PROCESS, "x.C", "slow"));
        java.util.Random random = new java.util.Random(17); // seeded: the same calls every run
        long[] fastest = {Long.MAX_VALUE, Long.MAX_VALUE}; // fast, slow
        long[] slowest = {0, 0};
        for (int i = 0; i < 1_000; i++) {
            // log-uniform: 300 ns to 3 ms for one method, 40 ms to 90 s (past the last bound, 60 s) for the other
            int which = i % 10 == 0 ? 1 : 0;
            long nanos = (long) (which == 1 ? 4e7 * Math.pow(2250, random.nextDouble()) : 300 * Math.pow(10_000, random.nextDouble()));
            (which == 1 ? slow : fast).end(nanos, CallOutcome.SUCCESS, null);
            fastest[which] = Math.min(fastest[which], nanos);
            slowest[which] = Math.max(slowest[which], nanos);
        }
        Map<String, CallStatistics> byMethod = new java.util.HashMap<>();
        metrics.methods().forEach(s -> byMethod.put(s.method(), s));
        byMethod.put("*", metrics.plugin("mixed"));
        for (String m : List.of("fast", "slow", "*")) {
            CallStatistics s = byMethod.get(m);
            double min = (m.equals("slow") ? fastest[1] : fastest[0]) / 1e6;
            double max = (m.equals("fast") ? slowest[0] : slowest[1]) / 1e6;
            assertTrue(min <= s.p50Millis() && s.p50Millis() <= s.p99Millis() && s.p99Millis() <= max,
                    m + ": " + min + " ms <= p50 " + s.p50Millis() + " ms <= p99 " + s.p99Millis() + " ms <= " + max + " ms");
        }
        assertTrue(byMethod.get("slow").p99Millis() > 60_000,
                "calls past the last bound (60 s) are interpolated up to the slowest, not all taken for 60 s: " + byMethod.get("slow"));
    }

    @Test
    void theScrapeHasTheCounterByStatusAndTheHistogramWithPrometheusNames() {
        CallMetrics metrics = new CallMetrics();
        var observer = metrics.observe(new CallSite("english", "1.0", Transport.IN_PROCESS, "x.Greeter", "greet"));
        observer.end(1_500, CallOutcome.SUCCESS, null);
        observer.end(3_000_000, CallOutcome.ERROR, new RuntimeException("no"));
        String scrape = metrics.scrape();
        assertTrue(scrape.contains("plugin_calls_total{method=\"greet\",plugin=\"english\",status=\"success\"} 1.0"), scrape);
        assertTrue(scrape.contains("plugin_calls_total{method=\"greet\",plugin=\"english\",status=\"error\"} 1.0"), scrape);
        assertTrue(scrape.contains("# TYPE plugin_call_duration_seconds histogram"), scrape);
        assertTrue(scrape.contains("plugin_call_duration_seconds_bucket{method=\"greet\",plugin=\"english\",le=\"2.5E-6\"} 1"), scrape);
        assertTrue(scrape.contains("plugin_call_duration_seconds_bucket{method=\"greet\",plugin=\"english\",le=\"+Inf\"} 2"), scrape);
        assertTrue(scrape.contains("plugin_call_duration_seconds_count{method=\"greet\",plugin=\"english\"} 2"), scrape);
    }
}
