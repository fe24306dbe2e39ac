package io.atrium.api;

import java.util.Map;
import java.util.Objects;

/**
 * The calls of one plugin method (or, with method {@code "*"}, of all its methods).
 *
 * @param plugin    the plugin's name
 * @param method    the contract method, or {@code "*"}
 * @param outcomes  calls by outcome label ({@code success}, {@code error}, {@code timeout},
 *                  {@code crash}, {@code unavailable}, {@code rejected}); absent labels are zero
 * @param p50Millis the median call duration in milliseconds, estimated from histogram buckets and never
 *                  outside the fastest and slowest call (NaN without calls)
 * @param p99Millis the 99th percentile, likewise
 */
public record CallStatistics(String plugin, String method, Map<String, Long> outcomes, double p50Millis, double p99Millis) {
    public CallStatistics {
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(method, "method");
        outcomes = Map.copyOf(outcomes);
    }

    /** @return every call, whatever its outcome */
    public long calls() {
        return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return the calls that did not succeed */
    public long errors() {
        return calls() - outcomes.getOrDefault("success", 0L);
    }

    /**
     * @param label an outcome label
     * @return the calls with that outcome
     */
    public long count(String label) {
        return outcomes.getOrDefault(label, 0L);
    }
}
