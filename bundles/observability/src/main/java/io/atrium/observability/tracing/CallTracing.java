package io.atrium.observability.tracing;

import io.atrium.api.CallSpan;
import io.atrium.api.PluginTraces;
import io.atrium.spi.CallObserver;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * An OpenTelemetry span per plugin call, with the plugin's name, version, transport, the method and
 * the outcome (and the error on failure). On by default, sampling every call; the spans are kept in
 * memory for {@code plugin:traces} and exported over OTLP only when configured (configuration
 * {@code io.atrium.tracing}: {@code sampleRatio}, {@code otlpEndpoint}, {@code recentSpans},
 * {@code enabled}). A configuration change re-creates the tracer.
 */
@Component(service = {CallObserver.class, PluginTraces.class}, configurationPid = CallTracing.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = CallTracing.Config.class)
public final class CallTracing implements CallObserver, PluginTraces {
    /** The configuration of Atrium's tracing. */
    public static final String PID = "io.atrium.tracing";
    private static final Logger LOG = Logger.getLogger("io.atrium.tracing");

    /** What can be configured. */
    @ObjectClassDefinition(name = "Atrium tracing", description = "OpenTelemetry spans of plugin calls")
    public @interface Config {
        @AttributeDefinition(description = "Whether plugin calls are traced at all")
        boolean enabled() default true;

        @AttributeDefinition(description = "The share of traces sampled (0 to 1); a call inside a sampled trace always is")
        double sampleRatio() default 1.0;

        @AttributeDefinition(description = "Where spans are sent over OTLP/HTTP, e.g. http://localhost:4318/v1/traces; empty: nowhere")
        String otlpEndpoint() default "";

        @AttributeDefinition(description = "How many recent spans plugin:traces can show")
        int recentSpans() default 1000;
    }

    private final boolean enabled;
    private final double sampleRatio;
    private final RecentSpans recent;
    private final EpochClock clock = new EpochClock();
    private final Resource resource = Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "atrium"));
    /** The OTLP exporter's batch processor, or null when spans are kept only in memory. */
    private final SpanProcessor export;
    private final Consumer<SpanRecord> ended;

    @Activate
    public CallTracing(Config config) {
        this.enabled = config.enabled();
        this.recent = new RecentSpans(config.recentSpans());
        this.sampleRatio = Math.max(0, Math.min(1, config.sampleRatio()));
        String endpoint = config.otlpEndpoint().strip();
        if (endpoint.isEmpty()) {
            this.export = null;
            this.ended = recent::add;
        } else {
            this.export = OtlpExport.processor(endpoint);
            this.ended = r -> {
                recent.add(r);
                export.onEnd(new RecordedSpan(r, resource));
            };
            LOG.info("plugin call spans are exported over OTLP to " + endpoint);
        }
    }

    @Deactivate
    void deactivate() {
        if (export != null) {
            export.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public MethodObserver observe(CallSite site) {
        return enabled ? new MethodTracer(sampleRatio, site, clock, ended) : null;
    }

    /** @return the spans kept, as OpenTelemetry's SDK reads them (events included), oldest first */
    List<SpanData> recentData() {
        List<SpanData> out = new ArrayList<>();
        for (SpanRecord r : recent.all()) {
            out.add(new RecordedSpan(r, resource));
        }
        return out;
    }

    @Override
    public List<CallSpan> recent() {
        List<CallSpan> out = new ArrayList<>();
        for (SpanRecord r : recent.all()) {
            out.add(new CallSpan(r.traceId(), r.spanIdHex(), r.parentIdHex(), r.site.plugin, r.site.method, r.site.transport,
                    r.status, r.endEpochNanos - r.startEpochNanos, r.errorMessage));
        }
        return out;
    }
}
