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
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One plugin method's spans: {@code begin} starts a client span (a child of whatever span is current
 * on the caller's thread), makes it current and hands its W3C context to the transports through
 * {@link CallTrace}; {@code end} sets the outcome and ends it. Nested calls nest, per thread.
 *
 * <p>Whether a trace is sampled is decided here, at its first call, so that an unsampled in-process
 * call costs a random number and a push instead of a span: no ids, no context made current (the SDK
 * samples every root it is given, and follows the parent below). Calls nested in an unsampled one are
 * unsampled too; one whose transport carries the context (a process plugin) still gets a span, so that
 * the plugin receives a context flagged "not sampled", in the trace of the call it is nested in.
 */
final class MethodTracer implements MethodObserver {
    static final AttributeKey<String> PLUGIN = AttributeKey.stringKey("atrium.plugin.name");
    static final AttributeKey<String> VERSION = AttributeKey.stringKey("atrium.plugin.version");
    static final AttributeKey<String> TRANSPORT = AttributeKey.stringKey("atrium.plugin.transport");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("atrium.call.status");
    static final AttributeKey<String> SERVICE = AttributeKey.stringKey("rpc.service");
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("rpc.method");
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");

    /** What begin left for end, per thread: a stack, since a plugin may call another plugin. */
    private static final ThreadLocal<ArrayDeque<Open>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);
    private static final IdGenerator IDS = IdGenerator.random();

    private final Tracer tracer;
    /** The share of traces sampled, decided at a trace's first call. */
    private final double sampleRatio;
    /** Whether the plugin's transport carries the trace context across its boundary (a process's does, a script's does not). */
    private final boolean carried;
    /** Whether a failure's stack is the plugin's own (a bundle's code), rather than the host's or an interpreter's frames. */
    private final boolean inProcess;
    private final String spanName;
    private final Attributes attributes;

    /**
     * A call begun. {@code span} null: an unsampled call that made no span; {@code unsampled}: the trace
     * it belongs to is not sampled (so neither are the calls nested in it): invalid until a nested call that
     * carries the context needs its ids, which are then made once and kept here, so that the calls nested
     * side by side in one unsampled call share one trace.
     */
    private static final class Open {
        final Span span;
        final Scope scope;
        final String[] before;
        final boolean handed;
        SpanContext unsampled;

        Open(Span span, Scope scope, String[] before, boolean handed, SpanContext unsampled) {
            this.span = span;
            this.scope = scope;
            this.before = before;
            this.handed = handed;
            this.unsampled = unsampled;
        }
    }

    MethodTracer(Tracer tracer, double sampleRatio, CallSite site) {
        this.tracer = tracer;
        this.sampleRatio = sampleRatio;
        this.carried = site.carriesTraceContext();
        this.inProcess = site.transportId().equals(io.atrium.api.PluginProperties.IN_PROCESS);
        this.spanName = site.plugin() + "/" + site.method();
        this.attributes = Attributes.of(PLUGIN, site.plugin(), VERSION, site.version(), TRANSPORT, site.transportId(),
                SERVICE, site.contract(), METHOD, site.method());
    }

    @Override
    public void begin() {
        ArrayDeque<Open> open = OPEN.get();
        Open outer = open.peek();
        SpanContext unsampled;
        if (outer != null) {
            unsampled = outer.unsampled; // null: nested in a sampled call, whose span is current
        } else if (sampleRatio >= 1.0 || (sampleRatio > 0 && ThreadLocalRandom.current().nextDouble() < sampleRatio)
                || Span.current().getSpanContext().isValid()) {
            unsampled = null;
        } else {
            unsampled = SpanContext.getInvalid(); // a new unsampled trace: its ids are made only if a transport needs them
        }
        if (unsampled != null && !carried) {
            open.push(new Open(null, null, null, false, unsampled));
            return;
        }
        var builder = tracer.spanBuilder(spanName).setSpanKind(SpanKind.CLIENT).setAllAttributes(attributes);
        if (unsampled != null) {
            if (!unsampled.isValid()) {
                unsampled = SpanContext.create(IDS.generateTraceId(), IDS.generateSpanId(), TraceFlags.getDefault(), TraceState.getDefault());
                for (Open o : open) { // the unsampled calls this one is nested in, which made no ids: theirs now, for the calls after it
                    if (o.unsampled == null || o.unsampled.isValid()) {
                        break;
                    }
                    o.unsampled = unsampled;
                }
            }
            builder.setParent(Context.root().with(Span.wrap(unsampled)));
        }
        Span span = builder.startSpan();
        Scope scope = span.makeCurrent();
        SpanContext c = span.getSpanContext();
        boolean handed = carried && c.isValid();
        String[] before = handed
                ? CallTrace.enter("00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex(),
                        c.getTraceState().isEmpty() ? null : tracestate(c))
                : null;
        open.push(new Open(span, scope, before, handed, unsampled));
    }

    @Override
    public void end(long nanos, CallOutcome outcome, Throwable failure) {
        Open open = OPEN.get().poll();
        if (open == null || open.span == null) {
            return; // observers changed between begin and end, or an unsampled call that made no span
        }
        Span span = open.span;
        if (span.isRecording()) {
            span.setAttribute(STATUS, outcome.label());
            if (failure != null) {
                span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
                if (!inProcess) {
                    // the host's frames say nothing of what the plugin did, and printing them costs a caller whose
                    // plugin crashed a few hundred microseconds before it hears of it: the type and message only
                    span.addEvent("exception", Attributes.of(EXCEPTION_TYPE, failure.getClass().getName(),
                            EXCEPTION_MESSAGE, String.valueOf(failure.getMessage())));
                } else {
                    span.recordException(failure); // an in-process plugin's own frames are in its stack
                }
            }
        }
        open.scope.close();
        if (open.handed) {
            CallTrace.restore(open.before);
        }
        span.end();
    }

    private static String tracestate(SpanContext c) {
        StringBuilder sb = new StringBuilder();
        c.getTraceState().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
