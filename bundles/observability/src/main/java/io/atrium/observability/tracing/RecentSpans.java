package io.atrium.observability.tracing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The last spans ended, in memory: what {@code plugin:traces} shows, whether or not spans are also
 * exported over OTLP. Bounded; the oldest go first.
 */
final class RecentSpans implements SpanExporter {
    private final int capacity;
    private final ArrayDeque<SpanData> spans = new ArrayDeque<>();

    RecentSpans(int capacity) {
        this.capacity = Math.max(1, capacity);
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> batch) {
        for (SpanData s : batch) {
            if (spans.size() == capacity) {
                spans.removeFirst();
            }
            spans.addLast(s);
        }
        return CompletableResultCode.ofSuccess();
    }

    /** @return the spans kept, oldest first */
    synchronized List<SpanData> all() {
        return new ArrayList<>(spans);
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
