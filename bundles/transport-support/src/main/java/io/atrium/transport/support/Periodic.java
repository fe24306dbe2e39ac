package io.atrium.transport.support;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Work done every so often, for good: a fixed-delay task that throws is never run again, so each run's failure is told and the next run comes. */
public final class Periodic {
    private Periodic() {
    }

    /**
     * @param on       where it runs
     * @param periodMs the delay between the end of one run and the start of the next (also before the first)
     * @param task     the work
     * @param failed   told of a run that threw (log it in one line); the runs go on
     * @return the schedule, to cancel
     */
    public static ScheduledFuture<?> every(ScheduledExecutorService on, long periodMs, Runnable task, Consumer<RuntimeException> failed) {
        return on.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                failed.accept(e);
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }
}
