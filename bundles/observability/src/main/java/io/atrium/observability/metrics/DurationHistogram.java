package io.atrium.observability.metrics;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * {@code plugin_call_duration_seconds{plugin,method}}: the call-duration buckets of every plugin
 * method as one Prometheus histogram, read at scrape time from the {@link MethodMeters}. Registered
 * in the Prometheus registry behind Micrometer's, so one scrape serves both.
 */
final class DurationHistogram implements Collector {
    static final String NAME = "plugin_call_duration_seconds";
    private static final double[] UPPER_BOUNDS = upperBounds();

    private final Supplier<Collection<MethodMeters>> methods;

    DurationHistogram(Supplier<Collection<MethodMeters>> methods) {
        this.methods = methods;
    }

    private static double[] upperBounds() {
        double[] b = new double[MethodMeters.BOUNDS.length + 1];
        for (int i = 0; i < MethodMeters.BOUNDS.length; i++) {
            b[i] = MethodMeters.BOUNDS[i] / 1e9;
        }
        b[b.length - 1] = Double.POSITIVE_INFINITY;
        return b;
    }

    @Override
    public MetricSnapshot collect() {
        HistogramSnapshot.Builder histogram = HistogramSnapshot.builder().name(NAME)
                .help("Duration of the calls made to plugins through Atrium");
        for (MethodMeters m : methods.get()) {
            histogram.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(UPPER_BOUNDS, m.bucketCounts()))
                    .sum(m.sumSeconds())
                    .labels(Labels.of("method", m.method(), "plugin", m.plugin()))
                    .build());
        }
        return histogram.build();
    }

    @Override
    public String getPrometheusName() {
        return NAME;
    }
}
