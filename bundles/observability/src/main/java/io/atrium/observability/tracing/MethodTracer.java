package io.atrium.observability.tracing;

import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.CallTrace;
import io.atrium.spi.MethodObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.ArrayDeque;

/**
 * One plugin method's spans: {@code begin} starts a client span (a child of whatever span is current
 * on the caller's thread), makes it current and hands its W3C context to the transports through
 * {@link CallTrace}; {@code end} sets the outcome and ends it. Nested calls nest, per thread.
 */
final class MethodTracer implements MethodObserver {
    static final AttributeKey<String> PLUGIN = AttributeKey.stringKey("atrium.plugin.name");
    static final AttributeKey<String> VERSION = AttributeKey.stringKey("atrium.plugin.version");
    static final AttributeKey<String> TRANSPORT = AttributeKey.stringKey("atrium.plugin.transport");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("atrium.call.status");
    static final AttributeKey<String> SERVICE = AttributeKey.stringKey("rpc.service");
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("rpc.method");

    /** What begin left for end, per thread: a stack, since a plugin may call another plugin. */
    private static final ThreadLocal<ArrayDeque<Object[]>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final Tracer tracer;
    /** Whether the plugin's transport carries the trace context across its boundary: not an in-process call's. */
    private final boolean carried;
    private final String spanName;
    private final Attributes attributes;

    MethodTracer(Tracer tracer, CallSite site) {
        this.tracer = tracer;
        this.carried = site.transport() != io.atrium.api.Transport.IN_PROCESS;
        this.spanName = site.plugin() + "/" + site.method();
        this.attributes = Attributes.of(PLUGIN, site.plugin(), VERSION, site.version(), TRANSPORT, site.transport().id(),
                SERVICE, site.contract(), METHOD, site.method());
    }

    @Override
    public void begin() {
        Span span = tracer.spanBuilder(spanName).setSpanKind(SpanKind.CLIENT).setAllAttributes(attributes).startSpan();
        Scope scope = span.makeCurrent();
        SpanContext c = span.getSpanContext();
        boolean handed = carried && c.isValid();
        String[] before = handed
                ? CallTrace.enter("00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex(),
                        c.getTraceState().isEmpty() ? null : tracestate(c))
                : null;
        OPEN.get().push(new Object[] {span, scope, before, handed});
    }

    @Override
    public void end(long nanos, CallOutcome outcome, Throwable failure) {
        Object[] open = OPEN.get().poll();
        if (open == null) {
            return; // observers changed between begin and end
        }
        Span span = (Span) open[0];
        if (span.isRecording()) {
            span.setAttribute(STATUS, outcome.label());
            if (failure != null) {
                span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
                span.recordException(failure);
            }
        }
        ((Scope) open[1]).close();
        if ((Boolean) open[3]) {
            CallTrace.restore((String[]) open[2]);
        }
        span.end();
    }

    private static String tracestate(SpanContext c) {
        StringBuilder sb = new StringBuilder();
        c.getTraceState().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
