package io.atrium.observability.metrics;

import io.atrium.api.CallStatistics;
import io.atrium.api.PluginStatistics;
import io.atrium.spi.CallObserver;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.atrium.spi.PluginLifecycle;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Counts and times every plugin call (see {@link MethodMeters}) in a Micrometer registry with
 * Prometheus naming, and reads the statistics back for the shell, the console and the HTTP API. Delayed: the core asks for it on the
 * first plugin call, so Micrometer is not loaded by a server nobody calls.
 */
@Component(service = {CallObserver.class, PluginStatistics.class, CallMetrics.class})
public final class CallMetrics implements CallObserver, PluginStatistics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, MethodMeters> methods = new ConcurrentHashMap<>();

    /** The core's lifecycle counts, read at scrape time. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    public CallMetrics() {
        registry.getPrometheusRegistry().register(new DurationHistogram(methods::values));
        registry.getPrometheusRegistry().register(new LifecycleCounter(() -> lifecycle));
    }

    @Override
    public MethodObserver observe(CallSite site) {
        // one set of meters per plugin method, whatever its version: a reload keeps counting
        return methods.computeIfAbsent(site.plugin() + "\u0000" + site.method(), k -> new MethodMeters(registry, site));
    }

    /** @return every meter in the Prometheus text format (version 0.0.4) */
    public String scrape() {
        prune();
        return registry.scrape();
    }

    /**
     * Drops the meters of plugins that were uninstalled: the core's lifecycle counts forget a plugin at its
     * uninstall, so a plugin with meters and no counts is gone (an update or reload keeps its counts).
     */
    private void prune() {
        PluginLifecycle l = lifecycle;
        if (l == null || methods.isEmpty()) {
            return;
        }
        java.util.Set<String> known = l.counts().keySet();
        methods.entrySet().removeIf(e -> {
            if (known.contains(e.getValue().plugin())) {
                return false;
            }
            e.getValue().remove(registry);
            return true;
        });
    }

    @Override
    public List<CallStatistics> methods() {
        prune();
        List<CallStatistics> rows = new ArrayList<>();
        for (MethodMeters m : methods.values()) {
            rows.add(m.statistics());
        }
        rows.sort(Comparator.comparing(CallStatistics::plugin).thenComparing(CallStatistics::method));
        return rows;
    }

    @Override
    public CallStatistics plugin(String plugin) {
        Map<String, Long> outcomes = new HashMap<>();
        Durations merged = null;
        for (MethodMeters m : methods.values()) {
            if (!m.plugin().equals(plugin)) {
                continue;
            }
            m.outcomes().forEach((k, v) -> outcomes.merge(k, v, Long::sum));
            merged = merged == null ? m.durations() : merged.plus(m.durations());
        }
        if (merged == null) {
            return new CallStatistics(plugin, "*", Map.of(), Double.NaN, Double.NaN);
        }
        return new CallStatistics(plugin, "*", outcomes, merged.quantileMillis(0.5), merged.quantileMillis(0.99));
    }
}
