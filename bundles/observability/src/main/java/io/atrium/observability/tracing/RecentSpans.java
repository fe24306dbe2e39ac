package io.atrium.observability.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The last spans ended, in memory: what {@code plugin:traces} shows, whether or not spans are also
 * exported over OTLP. Bounded; the oldest go first.
 *
 * <p>A span processor of its own rather than an exporter behind the SDK's simple processor: that
 * one copied every span into a {@link SpanData}, wrapped it in a list, took a lock and tracked a
 * pending result per span, on the calling thread of every plugin call. Here an ended span is one
 * slot write in a ring; it is copied only when someone asks to see it.
 */
final class RecentSpans implements SpanProcessor {
    private final AtomicReferenceArray<ReadableSpan> ring;
    private final AtomicLong ended = new AtomicLong();

    RecentSpans(int capacity) {
        this.ring = new AtomicReferenceArray<>(Math.max(1, capacity));
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        // nothing to do until it ends
    }

    @Override
    public boolean isStartRequired() {
        return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        if (span.getSpanContext().isSampled()) {
            ring.lazySet((int) (ended.getAndIncrement() % ring.length()), span);
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    /** @return the spans kept, oldest first (a span ended while this runs may or may not be among them) */
    List<SpanData> all() {
        long end = ended.get();
        int n = ring.length();
        List<SpanData> out = new ArrayList<>();
        for (long i = Math.max(0, end - n); i < end; i++) {
            ReadableSpan s = ring.get((int) (i % n));
            if (s != null) {
                out.add(s.toSpanData());
            }
        }
        return out;
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode forceFlush() {
        return CompletableResultCode.ofSuccess();
    }
}
