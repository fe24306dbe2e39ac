package io.atrium.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Threads calling a plugin in a loop until closed, for what must hold under load: the calls answered, the first failure. */
final class Callers implements AutoCloseable {
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean run = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    /** Starts {@code count} threads, each calling {@code call} until {@link #close()}. */
    Callers(int count, Runnable call) {
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> {
                while (run.get()) {
                    try {
                        call.run();
                        answered.incrementAndGet();
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "caller-" + i);
            t.start();
            threads.add(t);
        }
    }

    /** @return how many calls were answered so far */
    int answered() {
        return answered.get();
    }

    /** @return the first call that failed, or null */
    Throwable failure() {
        return failure.get();
    }

    /** Stops the threads and waits for them. */
    @Override
    public void close() throws InterruptedException {
        run.set(false);
        for (Thread t : threads) {
            t.join();
        }
    }
}
