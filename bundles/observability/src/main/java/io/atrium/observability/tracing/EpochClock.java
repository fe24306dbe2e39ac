package io.atrium.observability.tracing;

/**
 * Wall-clock time in nanoseconds for span timestamps at the cost of one {@code nanoTime}: the monotonic
 * clock anchored to the wall clock, re-anchored each second so that a wall-clock step (NTP) shows in the
 * spans after it, as it would in spans timed by the wall clock alone.
 */
final class EpochClock {
    private static final long REANCHOR_NANOS = 1_000_000_000L;

    /** The wall clock minus the monotonic one, and when (monotonic) that was taken: one object, read at once. */
    private record Anchor(long offset, long at) {
    }

    private volatile Anchor anchor = anchor(System.nanoTime());

    long nowEpochNanos() {
        long now = System.nanoTime();
        Anchor a = anchor;
        if (now - a.at > REANCHOR_NANOS) {
            anchor = a = anchor(now);
        }
        return now + a.offset;
    }

    private static Anchor anchor(long nanoTime) {
        java.time.Instant wall = java.time.Instant.now();
        return new Anchor(wall.getEpochSecond() * 1_000_000_000L + wall.getNano() - nanoTime, nanoTime);
    }
}
