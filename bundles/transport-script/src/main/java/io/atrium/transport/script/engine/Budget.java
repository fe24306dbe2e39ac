package io.atrium.transport.script.engine;

import java.lang.management.ManagementFactory;

/**
 * What one call of a script (or its top level, when it is loaded) may spend: CPU time and allocated
 * bytes on its own thread. The engines call {@link #tick()} every few thousand instructions (Rhino's
 * instruction observer, LuaJ's count hook), so a call that ends sooner pays nothing: its first tick
 * takes the baseline. Over budget, the tick throws {@link Exceeded}, an {@link Error}, which neither a
 * JavaScript {@code catch} or {@code finally} nor a Lua {@code pcall} runs for: the script cannot keep
 * control. Used by one thread at a time (the call's).
 */
public final class Budget {
    /** How many instructions run between two ticks. */
    public static final int TICK_INSTRUCTIONS = 10_000;

    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.ThreadMXBean ALLOCATIONS = THREADS instanceof com.sun.management.ThreadMXBean t
            && t.isThreadAllocatedMemorySupported() ? t : null;

    private long cpuLimitNs;
    private long allocationLimit;
    private long cpuStart = -1;
    private long allocatedStart = -1;
    private volatile String cancelled;

    /** The budget was spent: the call is stopped where it runs. */
    public static final class Exceeded extends Error {
        private final boolean memory;

        Exceeded(String message, boolean memory) {
            super(message, null, false, false);
            this.memory = memory;
        }

        /** @return whether it was the allocations, not the CPU time, that ran over */
        public boolean memory() {
            return memory;
        }
    }

    /**
     * Starts a call's budget.
     *
     * @param cpuMs           the CPU time it may take
     * @param allocationBytes the bytes it may allocate
     */
    public void start(long cpuMs, long allocationBytes) {
        cpuLimitNs = cpuMs > Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : cpuMs * 1_000_000;
        allocationLimit = allocationBytes;
        cpuStart = -1;
        allocatedStart = -1;
        cancelled = null;
    }

    /** Stops the call that runs on this budget at its next tick (the plugin stops). */
    public void cancel(String why) {
        cancelled = why;
    }

    /** @throws Exceeded when the call has spent its CPU time or its allocations, or was cancelled */
    public void tick() {
        String c = cancelled;
        if (c != null) {
            throw new Exceeded(c, false);
        }
        long cpu = THREADS.getCurrentThreadCpuTime();
        if (cpuStart < 0) {
            cpuStart = cpu;
        } else if (cpu - cpuStart > cpuLimitNs) {
            throw new Exceeded("ran past its CPU budget of " + cpuLimitNs / 1_000_000 + " ms (limits.callTimeoutMs) and was stopped", false);
        }
        if (ALLOCATIONS != null) {
            long allocated = ALLOCATIONS.getCurrentThreadAllocatedBytes();
            if (allocatedStart < 0) {
                allocatedStart = allocated;
            } else if (allocated - allocatedStart > allocationLimit) {
                throw new Exceeded("allocated more than its " + (allocationLimit >> 20) + " MiB (limits.maxAllocationMb) and was stopped", true);
            }
        }
    }
}
