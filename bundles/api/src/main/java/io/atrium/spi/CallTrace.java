package io.atrium.spi;

/**
 * The W3C trace context ({@code traceparent}, {@code tracestate}) of the plugin call running on the
 * current thread, handed from the tracing {@link CallObserver} to the transports that carry it
 * across their boundary (a process plugin receives it with each call), so a plugin's own spans join
 * the host's trace. Neither side depends on a tracing library for it.
 */
public final class CallTrace {
    private static final ThreadLocal<String[]> CURRENT = new ThreadLocal<>();

    private CallTrace() {
    }

    /**
     * Makes a trace context current on this thread until {@link #restore(String[])}.
     *
     * @param traceparent the W3C traceparent header value
     * @param tracestate  the W3C tracestate header value, or null
     * @return what was current before, to hand to {@link #restore(String[])}
     */
    public static String[] enter(String traceparent, String tracestate) {
        String[] before = CURRENT.get();
        CURRENT.set(new String[] {traceparent, tracestate});
        return before;
    }

    /** @param before the value {@link #enter} returned */
    public static void restore(String[] before) {
        if (before == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(before);
        }
    }

    /** @return the current traceparent, or null when no traced call runs on this thread */
    public static String traceparent() {
        String[] c = CURRENT.get();
        return c == null ? null : c[0];
    }

    /** @return the current tracestate, or null */
    public static String tracestate() {
        String[] c = CURRENT.get();
        return c == null ? null : c[1];
    }
}
