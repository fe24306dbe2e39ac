package io.atrium.observability.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void everyQuantileLiesBetweenTheFastestAndSlowestCallAndNoneIsBelowALowerOne() {
        long[] counts = new long[MethodMeters.BOUNDS.length + 1];
        counts[4] = 5;   // (1 µs, 2.5 µs]
        counts[5] = 1;   // (2.5 µs, 5 µs]
        counts[13] = 7;  // (1 ms, 2.5 ms]
        counts[counts.length - 1] = 2; // past 60 s
        Durations d = new Durations(counts, 1_700, 75_000_000_000L);
        double before = 0;
        for (int i = 0; i <= 100; i++) {
            double q = d.quantileMillis(i / 100.0);
            assertTrue(q >= 0.0017 && q <= 75_000, "q" + i + " = " + q);
            assertTrue(q >= before, "q" + i + " = " + q + " below the one before, " + before);
            before = q;
        }
        assertEquals(0.0017, d.quantileMillis(0), 1e-12, "the lowest quantile is the fastest call");
        assertEquals(75_000, d.quantileMillis(1), 1e-9, "the highest is the slowest");
    }

    @Test
    void mergedDurationsKeepTheFastestAndSlowestOfBoth() {
        long[] a = new long[MethodMeters.BOUNDS.length + 1];
        long[] b = new long[a.length];
        a[0] = 1;  // up to 100 ns
        b[26] = 1; // (30 s, 60 s]
        Durations merged = new Durations(a, 50, 60).plus(new Durations(b, 55_000_000_000L, 59_000_000_000L));
        assertEquals(50, merged.minNanos());
        assertEquals(59_000_000_000L, merged.maxNanos());
        assertEquals(1, merged.counts()[0]);
        assertEquals(1, merged.counts()[26]);
        assertEquals(0, a[26], "the parts are left as they were");
    }
}
