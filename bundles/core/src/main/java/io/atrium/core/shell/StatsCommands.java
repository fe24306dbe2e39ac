package io.atrium.core.shell;

import io.atrium.api.CallSpan;
import io.atrium.api.CallStatistics;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginStatistics;
import io.atrium.api.PluginTraces;
import java.util.List;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code plugin:stats}: the numbers of every plugin's calls, as the web console shows them. */
@Component(service = StatsCommands.class, property = {"osgi.command.scope=plugin", "osgi.command.function=stats",
        "osgi.command.function=traces"})
public final class StatsCommands {
    private final PluginRegistry registry;
    /** Got only when asked: the statistics' provider loads its metrics library on first use. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ComponentServiceObjects<PluginStatistics> statistics;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ComponentServiceObjects<PluginTraces> traces;

    @Activate
    public StatsCommands(@Reference PluginRegistry registry) {
        this.registry = registry;
    }

    @Descriptor("shows every plugin method's calls, errors by kind and latency (p50, p99) since the server started")
    public String stats() {
        return table(null);
    }

    @Descriptor("shows one plugin's calls per method")
    public String stats(@Descriptor("the plugin's name") String name) {
        if (registry.plugin(name).isEmpty()) {
            throw new CommandError("unknown plugin '" + name + "'");
        }
        return table(name);
    }

    @Descriptor("shows the spans of the most recent plugin calls (at most 20), newest last")
    public String traces() {
        return recent(20);
    }

    @Descriptor("shows the spans of the most recent plugin calls, newest last")
    public String traces(@Descriptor("how many, at least 1") String count) {
        // a String, not an int: Gogo's own refusal of "abc" names neither the command nor the count, and 0 or -1 would print an empty table
        long n;
        try {
            n = Long.parseLong(count.strip());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) {
            throw new CommandError("the count of plugin:traces must be a whole number of at least 1, not '"
                    + io.atrium.transport.support.Escape.oneLine(count) + "'");
        }
        return recent((int) Math.min(n, Integer.MAX_VALUE));
    }

    private String recent(int count) {
        return using(traces, "no traces: tracing is off (configuration io.atrium.tracing) or the observability bundle is not running", t -> {
            List<CallSpan> spans = t.recent();
            TextTable table = new TextTable("TRACE", "SPAN", "PARENT", "PLUGIN", "METHOD", "TRANSPORT", "STATUS", "DURATION", "ERROR");
            for (CallSpan s : spans.subList(Math.max(0, spans.size() - count), spans.size())) {
                table.row(s.traceId(), s.spanId(), s.parentSpanId() == null ? "-" : s.parentSpanId(), s.plugin(), s.method(),
                        s.transport(), s.status(), duration(s.nanos() / 1e6), s.error() == null ? "" : s.error());
            }
            return table.toString();
        });
    }

    /** Gets the optional service for one command, so its provider need not be active before it is used. */
    private static <T> String using(ComponentServiceObjects<T> objects, String missing, java.util.function.Function<T, String> command) {
        if (objects == null) {
            throw new CommandError(missing);
        }
        T service = objects.getService();
        try {
            return command.apply(service);
        } finally {
            objects.ungetService(service);
        }
    }

    private String table(String only) {
        return using(statistics, "no call statistics: the observability bundle (io.atrium.observability) is not running", stats -> {
            List<CallStatistics> rows = stats.methods();
            TextTable table = new TextTable("PLUGIN", "METHOD", "TRANSPORT", "CALLS", "ERRORS", "TIMEOUTS", "CRASHES", "P50", "P99");
            for (PluginDescriptor p : registry.plugins()) {
                if (only != null && !p.name().equals(only)) {
                    continue;
                }
                boolean any = false;
                for (CallStatistics s : rows) {
                    if (s.plugin().equals(p.name())) {
                        any = true;
                        table.row(p.name(), s.method(), p.transportId(), s.calls(), s.count("error"), s.count("timeout"),
                                s.count("crash"), duration(s.p50Millis()), duration(s.p99Millis()));
                    }
                }
                if (!any) {
                    table.row(p.name(), "-", p.transportId(), 0, 0, 0, 0, "-", "-");
                }
            }
            return table.toString();
        });
    }

    /** Microseconds below a millisecond, where in-process calls live; milliseconds above. */
    static String duration(double millis) {
        if (Double.isNaN(millis)) {
            return "-";
        }
        return millis < 1 ? String.format(Locale.ROOT, "%.1f µs", millis * 1000) : String.format(Locale.ROOT, "%.2f ms", millis);
    }
}
