package io.atrium.observability.tracing;

import java.util.concurrent.ThreadLocalRandom;

/** W3C trace and span ids: random, never all zero (that is the invalid id), lower-case hex when written. */
final class Ids {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {
    }

    static long random() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        } while (id == 0);
        return id;
    }

    static String hex(long id) {
        char[] c = new char[16];
        put(id, c, 0);
        return new String(c);
    }

    static String hex(long hi, long lo) {
        char[] c = new char[32];
        put(hi, c, 0);
        put(lo, c, 16);
        return new String(c);
    }

    /** @return {@code 00-TRACE-SPAN-FLAGS}, the W3C traceparent of a span */
    static String traceparent(long traceHi, long traceLo, long spanId, boolean sampled) {
        char[] c = new char[55];
        c[0] = '0';
        c[1] = '0';
        c[2] = '-';
        put(traceHi, c, 3);
        put(traceLo, c, 19);
        c[35] = '-';
        put(spanId, c, 36);
        c[52] = '-';
        c[53] = '0';
        c[54] = sampled ? '1' : '0';
        return new String(c);
    }

    private static void put(long v, char[] c, int at) {
        for (int i = at + 15; i >= at; i--) {
            c[i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }
}
