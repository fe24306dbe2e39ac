package io.atrium.observability.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Transport;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
    void quantilesInterpolateInsideTheirBucketAsHistogramQuantileDoes() {
        for (int i = 0; i < 100; i++) {
            meters.end(i < 50 ? 900 : 2_000, CallOutcome.SUCCESS, null); // half in (500, 1000], half in (1000, 2500]
        }
        long[] counts = meters.bucketCounts();
        assertEquals(0.001, MethodMeters.quantile(counts, 0.5), 1e-12, "rank 50 is the top of the (500 ns, 1 µs] bucket");
        assertEquals(0.0024700, MethodMeters.quantile(counts, 0.99), 1e-9, "98 % of the way through (1 µs, 2.5 µs]");
        assertTrue(Double.isNaN(MethodMeters.quantile(new long[counts.length], 0.5)), "no calls: no quantile");
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
