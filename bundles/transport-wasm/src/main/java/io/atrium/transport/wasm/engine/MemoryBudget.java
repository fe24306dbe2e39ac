package io.atrium.transport.wasm.engine;

/**
 * The Java heap that all wasm instances together may claim: their linear memory lives on the heap, so
 * each instance reserves the most it may grow to (its capped maximum) when it is made.
 */
public final class MemoryBudget {
    private final long bytes;
    private long reserved;

    public MemoryBudget(long bytes) {
        this.bytes = bytes;
    }

    synchronized boolean reserve(long n) {
        if (reserved + n > bytes) {
            return false;
        }
        reserved += n;
        return true;
    }

    synchronized void release(long n) {
        reserved -= n;
    }

    /** @return the budget in MiB, for messages */
    public long megabytes() {
        return bytes >> 20;
    }
}
