package io.atrium.observability.tracing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The last spans ended, in memory: what {@code plugin:traces} shows, whether or not spans are also
 * exported over OTLP. Bounded; the oldest go first. An ended span is one slot write in a ring; it
 * is formatted only when someone asks to see it.
 */
final class RecentSpans {
    private final AtomicReferenceArray<SpanRecord> ring;
    private final AtomicLong ended = new AtomicLong();

    RecentSpans(int capacity) {
        this.ring = new AtomicReferenceArray<>(Math.max(1, capacity));
    }

    void add(SpanRecord span) {
        ring.lazySet((int) (ended.getAndIncrement() % ring.length()), span);
    }

    /** @return the spans kept, oldest first (a span ended while this runs may or may not be among them) */
    List<SpanRecord> all() {
        long end = ended.get();
        int n = ring.length();
        List<SpanRecord> out = new ArrayList<>();
        for (long i = Math.max(0, end - n); i < end; i++) {
            SpanRecord s = ring.get((int) (i % n));
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }
}
