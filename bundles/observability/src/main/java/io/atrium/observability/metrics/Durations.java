package io.atrium.observability.metrics;

/**
 * The durations of a method's calls (or of a plugin's, merged) at one moment: how many fell in each
 * bucket of {@link MethodMeters#BOUNDS}, and the fastest and the slowest call, from which quantiles
 * are estimated.
 *
 * @param counts  by bucket, not cumulative; the last is beyond every bound (+Inf)
 * @param minNanos the fastest call (meaningless without calls)
 * @param maxNanos the slowest call, likewise
 */
record Durations(long[] counts, long minNanos, long maxNanos) {
    /** @return both sets of calls as one (the same buckets for every method) */
    Durations plus(Durations other) {
        long[] sum = counts.clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += other.counts[i];
        }
        return new Durations(sum, Math.min(minNanos, other.minNanos), Math.max(maxNanos, other.maxNanos));
    }

    /**
     * A quantile in milliseconds (NaN without calls), interpolated linearly inside the bucket it falls
     * in as Prometheus' histogram_quantile does, but over the part of the bucket calls were seen in: from
     * the fastest call up to the slowest. So it never lies outside them (calls that all took 1000.5 ms
     * have that p99, not 2485 ms near the top of their (1 s, 2.5 s] bucket), and the +Inf bucket's calls
     * are interpolated up to the slowest.
     */
    double quantileMillis(double q) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return Double.NaN;
        }
        long[] bounds = MethodMeters.BOUNDS;
        double rank = q * total;
        long below = 0;
        for (int i = 0; i < counts.length; i++) {
            if (below + counts[i] >= rank && counts[i] > 0) {
                double lower = Math.max(i == 0 ? 0 : bounds[i - 1], minNanos);
                double upper = i == bounds.length ? maxNanos : Math.min(bounds[i], maxNanos);
                double fraction = (rank - below) / counts[i];
                return (lower + (upper - lower) * fraction) / 1e6;
            }
            below += counts[i];
        }
        return Double.NaN;
    }
}
