package io.atrium.core.deploy;

import io.atrium.transport.support.Periodic;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import org.osgi.framework.BundleException;

/** The deployer's one thread, which owns all its state: file events, bundle events and shell commands are handed to it. */
final class Worker implements Executor {
    private final ScheduledExecutorService executor;
    /** What the worker asks of itself (through the registry, say) runs at once rather than queue behind itself. */
    private volatile Thread thread;

    Worker() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atrium-deployer");
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(task);
    }

    ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        return executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    /** Runs the task every so often, for good: a run that throws is one line, and the next run comes. */
    void every(Runnable task, long periodMs) {
        Periodic.every(executor, periodMs, task,
                e -> FolderEntry.log(Level.WARNING, "the plugin folder's periodic check failed, and runs again in " + periodMs + " ms: " + e));
    }

    /** Runs on the worker thread and waits; failures come back as one-line IllegalArgumentExceptions. */
    <T> T call(Callable<T> task) {
        if (Thread.currentThread() == thread) {
            try {
                return task.call();
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalArgumentException(String.valueOf(e), e);
            }
        }
        try {
            return executor.submit(task).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException(cause instanceof BundleException ? cause.getMessage() : String.valueOf(cause), cause);
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("the deployer is busy; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("interrupted");
        }
    }

    void stop() {
        executor.shutdownNow();
    }
}
