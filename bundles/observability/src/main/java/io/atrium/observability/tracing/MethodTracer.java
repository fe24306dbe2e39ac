package io.atrium.observability.tracing;

import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.CallTrace;
import io.atrium.spi.MethodObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One plugin method's spans: {@code begin} opens a client span (a child of the plugin call that runs
 * on the caller's thread, if any) and hands its W3C context to the transports that carry it through
 * {@link CallTrace}; {@code end} records it with its outcome. Nested calls nest, per thread.
 *
 * <p>A span is kept as a {@link SpanRecord} (numeric ids, the method's shared {@link SpanSite}) rather than
 * built through OpenTelemetry's span builder: nothing outside this bundle sees OpenTelemetry's current
 * context (its API is private here), so the tracer's own stack of open calls is the context, and the SDK's
 * span, attribute map, context and scope per call were cost for nobody. The SDK's types are made from a
 * record only where spans are exported or shown.
 *
 * <p>Whether a trace is sampled is decided here, at its first call, so that an unsampled call costs a
 * random number and a push. Calls nested in an unsampled one are unsampled too; one whose transport
 * carries the context (a process plugin) still gets ids, so that the plugin receives a context flagged
 * "not sampled", in the trace of the call it is nested in.
 */
final class MethodTracer implements MethodObserver {
    /** What begin left for end, per thread: a stack, since a plugin may call another plugin. */
    private static final ThreadLocal<ArrayDeque<Open>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final SpanSite site;
    /** The share of traces sampled, decided at a trace's first call. */
    private final double sampleRatio;
    /** Whether the plugin's transport carries the trace context across its boundary (a process's does, a script's does not). */
    private final boolean carried;
    /** Whether a failure's stack is the plugin's own (a bundle's code), rather than the host's or an interpreter's frames. */
    private final boolean inProcess;
    private final EpochClock clock;
    /** Where a sampled span goes when it ends: the recent ring, and the exporter if one is configured. */
    private final Consumer<SpanRecord> ended;

    /**
     * A call begun. {@code traceHi}/{@code traceLo} are 0 while an unsampled trace has no ids: they are made
     * when a nested call that carries the context needs them, and kept here, so that the calls nested side by
     * side in one unsampled call share one trace. {@code spanId} is 0 for a call that made no span.
     */
    private static final class Open {
        final boolean sampled;
        long traceHi;
        long traceLo;
        final long spanId;
        final long parentId;
        final String[] before;
        final boolean handed;

        Open(boolean sampled, long traceHi, long traceLo, long spanId, long parentId, String[] before, boolean handed) {
            this.sampled = sampled;
            this.traceHi = traceHi;
            this.traceLo = traceLo;
            this.spanId = spanId;
            this.parentId = parentId;
            this.before = before;
            this.handed = handed;
        }

        boolean hasIds() {
            return traceHi != 0 || traceLo != 0;
        }
    }

    MethodTracer(double sampleRatio, CallSite site, EpochClock clock, Consumer<SpanRecord> ended) {
        this.site = new SpanSite(site);
        this.sampleRatio = sampleRatio;
        this.carried = site.carriesTraceContext();
        this.inProcess = site.transportId().equals(io.atrium.api.PluginProperties.IN_PROCESS);
        this.clock = clock;
        this.ended = ended;
    }

    @Override
    public void begin() {
        ArrayDeque<Open> open = OPEN.get();
        Open outer = open.peek();
        boolean sampled = outer != null ? outer.sampled
                : sampleRatio >= 1.0 || sampleRatio > 0 && ThreadLocalRandom.current().nextDouble() < sampleRatio;
        if (!sampled && !carried) {
            open.push(new Open(false, 0, 0, 0, 0, null, false)); // no span, no ids: the calls nested in it are told "not sampled"
            return;
        }
        long hi;
        long lo;
        if (outer != null && outer.hasIds()) {
            hi = outer.traceHi;
            lo = outer.traceLo;
        } else {
            hi = Ids.random();
            lo = Ids.random();
            for (Open o : open) { // the unsampled calls this one is nested in, which made no ids: theirs now, for the calls after it
                if (o.hasIds()) {
                    break;
                }
                o.traceHi = hi;
                o.traceLo = lo;
            }
        }
        long spanId = Ids.random();
        String[] before = carried ? CallTrace.enter(Ids.traceparent(hi, lo, spanId, sampled), null) : null;
        long parent = outer != null && outer.spanId != 0 ? outer.spanId : 0;
        open.push(new Open(sampled, hi, lo, spanId, parent, before, carried));
    }

    @Override
    public void end(long nanos, CallOutcome outcome, Throwable failure) {
        Open open = OPEN.get().poll();
        if (open == null) {
            return; // observers changed between begin and end
        }
        if (open.handed) {
            CallTrace.restore(open.before);
        }
        if (!open.sampled) {
            return;
        }
        long end = clock.nowEpochNanos();
        String type = null;
        String message = null;
        String stack = null;
        if (failure != null) {
            type = failure.getClass().getName();
            message = String.valueOf(failure.getMessage());
            if (inProcess) { // an in-process plugin's own frames are in its stack; the host's frames say nothing of what another did
                StringWriter w = new StringWriter();
                failure.printStackTrace(new PrintWriter(w));
                stack = w.toString();
            }
        }
        ended.accept(new SpanRecord(site, open.traceHi, open.traceLo, open.spanId, open.parentId, end - nanos, end,
                outcome.label(), type, message, stack));
    }
}
