package io.atrium.observability.tracing;

/**
 * One sampled call's span as the tracer keeps it: ids as numbers, the call site shared with every
 * other span of its method, and the outcome. Formatted (hex ids, OpenTelemetry's {@code SpanData})
 * only when someone reads it: {@code plugin:traces}, or the OTLP exporter off the calling thread.
 */
final class SpanRecord {
    final SpanSite site;
    final long traceHi;
    final long traceLo;
    final long spanId;
    /** 0: the trace's first call. */
    final long parentId;
    final long startEpochNanos;
    final long endEpochNanos;
    final String status;
    /** null when the call succeeded. */
    final String errorType;
    final String errorMessage;
    /** The failure's stack, for an in-process plugin only (its own frames are in it); else null. */
    final String stack;

    SpanRecord(SpanSite site, long traceHi, long traceLo, long spanId, long parentId, long startEpochNanos, long endEpochNanos,
            String status, String errorType, String errorMessage, String stack) {
        this.site = site;
        this.traceHi = traceHi;
        this.traceLo = traceLo;
        this.spanId = spanId;
        this.parentId = parentId;
        this.startEpochNanos = startEpochNanos;
        this.endEpochNanos = endEpochNanos;
        this.status = status;
        this.errorType = errorType;
        this.errorMessage = errorMessage;
        this.stack = stack;
    }

    String traceId() {
        return Ids.hex(traceHi, traceLo);
    }

    String spanIdHex() {
        return Ids.hex(spanId);
    }

    /** @return the parent's span id, or null for a trace's first call */
    String parentIdHex() {
        return parentId == 0 ? null : Ids.hex(parentId);
    }
}
