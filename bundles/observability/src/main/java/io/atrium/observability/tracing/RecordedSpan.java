package io.atrium.observability.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;

/**
 * A {@link SpanRecord} as OpenTelemetry's SDK reads an ended span: what its batch processor queues and its OTLP
 * exporter writes. Made only where spans are exported or inspected, never for a call that merely is recorded.
 */
final class RecordedSpan implements ReadableSpan, SpanData {
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
    static final AttributeKey<String> EXCEPTION_STACKTRACE = AttributeKey.stringKey("exception.stacktrace");
    private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("io.atrium");
    @SuppressWarnings("deprecation") // the SDK's ReadableSpan still declares it
    private static final InstrumentationLibraryInfo LIBRARY = InstrumentationLibraryInfo.create("io.atrium", null);

    private final SpanRecord r;
    private final Resource resource;
    private SpanContext context;
    private Attributes attributes;

    RecordedSpan(SpanRecord r, Resource resource) {
        this.r = r;
        this.resource = resource;
    }

    @Override
    public String getName() {
        return r.site.name;
    }

    @Override
    public SpanKind getKind() {
        return SpanKind.CLIENT;
    }

    @Override
    public SpanContext getSpanContext() {
        if (context == null) {
            context = SpanContext.create(r.traceId(), r.spanIdHex(), TraceFlags.getSampled(), TraceState.getDefault());
        }
        return context;
    }

    @Override
    public SpanContext getParentSpanContext() {
        return r.parentId == 0 ? SpanContext.getInvalid()
                : SpanContext.create(r.traceId(), r.parentIdHex(), TraceFlags.getSampled(), TraceState.getDefault());
    }

    @Override
    public StatusData getStatus() {
        return r.errorType == null ? StatusData.unset() : StatusData.create(StatusCode.ERROR, r.errorMessage);
    }

    @Override
    public long getStartEpochNanos() {
        return r.startEpochNanos;
    }

    @Override
    public long getEndEpochNanos() {
        return r.endEpochNanos;
    }

    @Override
    public long getLatencyNanos() {
        return r.endEpochNanos - r.startEpochNanos;
    }

    @Override
    public Attributes getAttributes() {
        if (attributes == null) {
            attributes = r.site.attributes.toBuilder().put(SpanSite.STATUS, r.status).build();
        }
        return attributes;
    }

    @Override
    public <T> T getAttribute(AttributeKey<T> key) {
        return getAttributes().get(key);
    }

    @Override
    public List<EventData> getEvents() {
        if (r.errorType == null) {
            return List.of();
        }
        AttributesBuilder a = Attributes.builder().put(EXCEPTION_TYPE, r.errorType).put(EXCEPTION_MESSAGE, r.errorMessage);
        if (r.stack != null) {
            a.put(EXCEPTION_STACKTRACE, r.stack);
        }
        return List.of(EventData.create(r.endEpochNanos, "exception", a.build()));
    }

    @Override
    public List<LinkData> getLinks() {
        return List.of();
    }

    @Override
    public boolean hasEnded() {
        return true;
    }

    @Override
    public int getTotalRecordedEvents() {
        return r.errorType == null ? 0 : 1;
    }

    @Override
    public int getTotalRecordedLinks() {
        return 0;
    }

    @Override
    public int getTotalAttributeCount() {
        return getAttributes().size();
    }

    @Override
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
        return LIBRARY;
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
        return SCOPE;
    }

    @Override
    public Resource getResource() {
        return resource;
    }

    @Override
    public SpanData toSpanData() {
        return this;
    }
}
