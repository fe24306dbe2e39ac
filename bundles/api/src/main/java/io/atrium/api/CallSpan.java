package io.atrium.api;

/**
 * One traced plugin call.
 *
 * @param traceId      the W3C trace id (32 hex digits)
 * @param spanId       this call's span id (16 hex digits)
 * @param parentSpanId the span it was made in, or null when it began a trace
 * @param plugin       the plugin's name
 * @param method       the contract method
 * @param transport    how the plugin runs
 * @param status       the outcome label ({@code success}, {@code error}, {@code timeout}, …)
 * @param nanos        how long the call took
 * @param error        the failure's message, or null
 */
public record CallSpan(String traceId, String spanId, String parentSpanId, String plugin, String method, String transport,
                       String status, long nanos, String error) {
}
