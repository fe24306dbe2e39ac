package io.atrium.transport.wasm.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One watchdog thread for every wasm call: while calls run it looks at their deadlines every
 * millisecond and interrupts the late ones; while none runs it sleeps. A call costs it two volatile
 * writes and a counter, not a timer.
 */
public final class Deadlines implements AutoCloseable {
    private static final long TICK_NANOS = 1_000_000;
    private final Set<WasmInstance> instances = ConcurrentHashMap.newKeySet();
    private final AtomicInteger running = new AtomicInteger();
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean closed;

    public Deadlines() {
        thread = new Thread(this::watch, "atrium-wasm-deadlines");
        thread.setDaemon(true);
        thread.start();
    }

    void add(WasmInstance i) {
        instances.add(i);
    }

    void remove(WasmInstance i) {
        instances.remove(i);
    }

    /** A call starts: the watchdog wakes up if it slept. */
    void started() {
        running.incrementAndGet();
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    void ended() {
        running.decrementAndGet();
    }

    private void watch() {
        while (!closed) {
            if (running.get() == 0) {
                sleeping = true;
                if (running.get() == 0) { // checked again once asleep is visible: no lost wake-up
                    LockSupport.park(this);
                }
                sleeping = false;
                continue;
            }
            long now = System.nanoTime();
            for (WasmInstance i : instances) {
                i.expireIfLate(now);
            }
            LockSupport.parkNanos(this, TICK_NANOS);
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
