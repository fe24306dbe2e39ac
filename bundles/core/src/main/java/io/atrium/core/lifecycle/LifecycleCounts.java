package io.atrium.core.lifecycle;

import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Component;

/**
 * {@link PluginLifecycle}: counts per plugin and event, kept by the core from the first event on, so
 * the installs of a start are counted even though the metrics bundle starts after them. A plugin's
 * counts, and its last error, end with its uninstall: what is gone keeps no series.
 */
@Component(service = PluginLifecycle.class)
public final class LifecycleCounts implements PluginLifecycle {
    private final Map<String, LongAdder[]> counts = new ConcurrentHashMap<>();
    private final Map<String, LastError> lastErrors = new ConcurrentHashMap<>();

    @Override
    public void record(String plugin, LifecycleEvent event) {
        if (event == LifecycleEvent.UNINSTALL) {
            // gone: its series go too, or a server that installs and uninstalls plugins all day grows a series per name
            counts.remove(plugin);
            lastErrors.remove(plugin);
            return;
        }
        counts.computeIfAbsent(plugin, p -> newCounters())[event.ordinal()].increment();
    }

    @Override
    public void record(String plugin, LifecycleEvent event, String reason) {
        record(plugin, event);
        if ((event == LifecycleEvent.CRASH || event == LifecycleEvent.FAIL) && reason != null) {
            lastErrors.put(plugin, new LastError(event, reason, Instant.now()));
        }
    }

    @Override
    public Map<String, LastError> lastErrors() {
        return new TreeMap<>(lastErrors);
    }

    private static LongAdder[] newCounters() {
        LongAdder[] c = new LongAdder[LifecycleEvent.values().length];
        for (int i = 0; i < c.length; i++) {
            c[i] = new LongAdder();
        }
        return c;
    }

    @Override
    public Map<String, Map<LifecycleEvent, Long>> counts() {
        Map<String, Map<LifecycleEvent, Long>> out = new TreeMap<>();
        counts.forEach((plugin, c) -> {
            Map<LifecycleEvent, Long> events = new EnumMap<>(LifecycleEvent.class);
            for (LifecycleEvent e : LifecycleEvent.values()) {
                long n = c[e.ordinal()].sum();
                if (n > 0) {
                    events.put(e, n);
                }
            }
            out.put(plugin, events);
        });
        return out;
    }
}
