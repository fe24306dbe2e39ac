package io.atrium.observability.metrics;

import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code plugin_lifecycle_events_total{plugin,event}}: installs, updates, uninstalls, starts, stops,
 * reloads, crashes, restarts and failures, as the core counts them (since the server started, so
 * also those before this bundle did), read at scrape time.
 */
final class LifecycleCounter implements Collector {
    static final String NAME = "plugin_lifecycle_events";

    private final Supplier<PluginLifecycle> lifecycle;

    LifecycleCounter(Supplier<PluginLifecycle> lifecycle) {
        this.lifecycle = lifecycle;
    }

    @Override
    public MetricSnapshot collect() {
        CounterSnapshot.Builder counter = CounterSnapshot.builder().name(NAME)
                .help("What happened to plugins: install, update, uninstall, start, stop, reload, crash, restart, fail");
        PluginLifecycle l = lifecycle.get();
        if (l != null) {
            for (Map.Entry<String, Map<LifecycleEvent, Long>> plugin : l.counts().entrySet()) {
                plugin.getValue().forEach((event, n) -> counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(Labels.of("event", event.label(), "plugin", plugin.getKey())).value(n).build()));
            }
        }
        return counter.build();
    }

    @Override
    public String getPrometheusName() {
        return NAME + "_total";
    }
}
