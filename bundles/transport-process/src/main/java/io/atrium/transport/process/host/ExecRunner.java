package io.atrium.transport.process.host;

import io.atrium.transport.support.launch.ExitStatus;
import io.atrium.transport.support.launch.Launcher;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.spi.CallTrace;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.process.protocol.FrameReader;
import io.atrium.transport.process.protocol.Messages;
import io.atrium.transport.process.protocol.Protocol;
import io.atrium.transport.support.PluginLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One-shot mode: each call runs the executable once, writes the request line to its stdin and closes
 * it, and reads the answer line from its stdout (git- and kubectl-style plugins). A call waits for one
 * of {@link #MAX_PROCESSES} slots within its timeout; from when it is handed to its process, it has its
 * whole timeout (the {@code deadlineMs} its request says), and the process must answer and exit within
 * it or it is killed, with what it started.
 *
 * <p>A call does not wait for a process to be spawned: the manifest's {@code limits.warmProcesses} (2
 * unless it says otherwise; 0 spawns one per call) are spawned ahead and wait on their stdin, each used
 * for exactly one call; each call tops them up again off its path (so a plugin that dies at once costs
 * at most {@code warmProcesses + 1} spawns a call, never a loop). A call that finds none waiting takes
 * the next one whose spawn is under way, rather than spawn a third beside them. A call
 * returns at its answer; its slot is held until its process exits, or is killed at the deadline.
 */
final class ExecRunner implements Invoker {
    /** Processes one plugin may run at once; more calls wait for a slot within their timeout. */
    static final int MAX_PROCESSES = 16;
    /** How long a call waits for a spawn under way before it spawns its own (a spawn takes a millisecond or two). */
    private static final long SPAWN_WAIT_MS = 1_000;
    /** Processes spawned ahead, waiting for a call each: the manifest's {@code limits.warmProcesses}. */
    private final int ahead;
    final java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(MAX_PROCESSES); // (package-private: tests hold slots)
    private final PluginManifest manifest;
    private final PluginLog log;
    private final ScheduledExecutorService timers;
    private final Launcher launcher;
    /** Where processes are spawned ahead: off the call path. */
    private final Executor spawner;
    /** Guarded by this. */
    private final Deque<Spawned> warm = new ArrayDeque<>();
    /** Spawns under way ahead of calls; guarded by this. */
    private int spawning;
    /** Guarded by this. */
    private boolean shut;
    /** When the last call came (nanoTime); guarded by this. */
    private long lastCall = System.nanoTime();
    /** Processes spawned ahead and unused this long are ended; the next call spawns its own and tops them up again. */
    static final long IDLE_MS = 5 * 60_000;
    private final ScheduledFuture<?> retirement;

    ExecRunner(Launcher launcher, PluginManifest manifest, PluginLog log, ScheduledExecutorService timers, Executor spawner) {
        this.launcher = launcher;
        this.manifest = manifest;
        this.log = log;
        this.timers = timers;
        this.spawner = spawner;
        this.ahead = manifest.limits().warmProcesses();
        for (int i = 0; i < ahead; i++) {
            spawnAhead();
        }
        this.retirement = ahead == 0 ? null : timers.scheduleWithFixedDelay(this::retireIdle, IDLE_MS / 5, IDLE_MS / 5, TimeUnit.MILLISECONDS);
    }

    /** Ends the processes spawned ahead when no call came for {@link #IDLE_MS}: an unused plugin costs no processes. */
    void retireIdle() {
        retireIdle(IDLE_MS);
    }

    /** @param idleMs how long without a call makes the waiting processes go (package-private: tests) */
    void retireIdle(long idleMs) {
        List<Spawned> idle;
        synchronized (this) {
            if (shut || System.nanoTime() - lastCall < TimeUnit.MILLISECONDS.toNanos(idleMs) || warm.isEmpty()) {
                return;
            }
            idle = new ArrayList<>(warm);
            warm.clear();
        }
        for (Spawned s : idle) {
            s.launched().killAll();
        }
        log.host(java.util.logging.Level.FINE, idle.size() + " process(es) spawned ahead ended: no call for " + idleMs / 1000 + " s");
    }

    /** A started process, its stderr read into the log, not yet given its call. */
    private record Spawned(Launcher.Launched launched, AtomicReference<String> lastStderr, java.util.concurrent.CompletableFuture<Void> stderr) {
        Process process() {
            return launched.process();
        }
    }

    private Spawned spawn() throws IOException {
        Launcher.Launched launched = launcher.start(manifest, manifest.protocolEnv(launcher.pythonHelper()));
        Process p = launched.process();
        AtomicReference<String> lastStderr = new AtomicReference<>();
        java.util.concurrent.CompletableFuture<Void> read = new java.util.concurrent.CompletableFuture<>();
        Runnable reader = () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        lastStderr.set(log.stderr(line));
                    }
                }
            } catch (IOException ignored) {
                // gone
            } finally {
                read.complete(null);
            }
        };
        try {
            spawner.execute(reader); // a pooled thread: a thread made and ended per call cost more than the call's own work
        } catch (RejectedExecutionException stopping) {
            Thread t = new Thread(reader, "atrium-plugin-" + manifest.name() + "-exec-stderr");
            t.setDaemon(true);
            t.start();
        }
        return new Spawned(launched, lastStderr, read);
    }

    /** Spawns one process ahead of the calls, unless enough are waiting or being spawned. */
    private void spawnAhead() {
        synchronized (this) {
            if (shut || warm.size() + spawning >= ahead) {
                return;
            }
            spawning++;
        }
        try {
            spawner.execute(() -> {
                Spawned s = null;
                try {
                    s = spawn();
                } catch (IOException | RuntimeException e) {
                    // the call that finds none spawns its own, and says why it cannot
                } finally {
                    boolean keep;
                    synchronized (this) {
                        spawning--;
                        keep = s != null && !shut;
                        if (keep) {
                            warm.addLast(s);
                        }
                        notifyAll(); // a call waiting for it, or for the spawn to have failed
                    }
                    if (s != null && !keep) {
                        s.launched().killAll(); // shut down meanwhile
                    } else if (s != null) {
                        Spawned waiting = s;
                        // one that dies waiting (killed from outside) leaves the pool; none is spawned for it, so no loop
                        s.process().onExit().thenRun(() -> {
                            synchronized (this) {
                                warm.remove(waiting);
                            }
                        });
                    }
                }
            });
        } catch (RejectedExecutionException stopping) {
            synchronized (this) {
                spawning--;
            }
        }
    }

    /** @return a process for one call: one spawned ahead that still waits, else one spawned now */
    private Spawned take() throws IOException {
        Spawned s;
        synchronized (this) {
            lastCall = System.nanoTime();
            // a spawn under way ahead of the calls is further along than one started now: wait for it, rather
            // than start a third process that shares the CPUs with the two (the tail of back-to-back calls)
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SPAWN_WAIT_MS);
            while (warm.isEmpty() && spawning > 0 && !shut && System.nanoTime() - until < 0) {
                try {
                    wait(SPAWN_WAIT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            s = warm.pollFirst();
        }
        if (s != null && !s.process().isAlive()) {
            s.launched().killAll(); // it died waiting (killed from outside): what it started goes too
            s = null;
        }
        // this call's own spawn, when there was none, goes first: the ones for the next calls queue behind it
        Spawned mine = s != null ? s : spawn();
        for (int i = 0; i < ahead; i++) {
            spawnAhead(); // for the next calls, off this one's path: the one taken, and any that died waiting
        }
        return mine;
    }

    /** @return how many processes wait for a call, for plugin:info */
    synchronized int warm() {
        return warm.size();
    }

    /** @return how many processes are kept spawned ahead */
    int ahead() {
        return ahead;
    }

    @Override
    public JsonElement call(String method, String params, long timeoutMs) {
        try {
            if (!slots.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new io.atrium.api.PluginUnavailableException(manifest.name(), method + ": " + MAX_PROCESSES
                        + " calls were already running, none finished within " + timeoutMs + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.atrium.api.PluginUnavailableException(manifest.name(), method + " was interrupted");
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                slots.release();
            }
        };
        try {
            return run(method, params, timeoutMs, release); // the wait for a slot is not the process's time
        } finally {
            if (!released.get()) {
                release.run(); // no process was started, or it has ended: released at its exit otherwise
            }
        }
    }

    /** @param release frees the call's slot: at the process's exit, which may come after the answer */
    private JsonElement run(String method, String params, long timeoutMs, Runnable release) {
        String name = manifest.name();
        byte[] request = Messages.request(1, method, params, timeoutMs, CallTrace.traceparent(), CallTrace.tracestate()).getBytes(StandardCharsets.UTF_8);
        if (request.length > manifest.limits().maxFrameBytes()) {
            throw new PluginRejectedException(name, method + ": the request is " + request.length
                    + " bytes, over the frame limit of " + manifest.limits().maxFrameBytes());
        }
        Spawned spawned;
        try {
            spawned = take();
        } catch (IOException | IllegalArgumentException e) {
            throw new PluginCrashedException(name, "could not be started: " + e.getMessage());
        }
        Launcher.Launched launched = spawned.launched();
        Process p = launched.process();
        AtomicBoolean timedOut = new AtomicBoolean();
        // the deadline starts here, as the request is handed over: the plugin reads deadlineMs from now
        ScheduledFuture<?> watchdog = timers.schedule(() -> {
            timedOut.set(true);
            launched.killAll();
        }, timeoutMs, TimeUnit.MILLISECONDS);
        boolean answered = false;
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(request);
            } catch (IOException ignored) {
                // it exited without reading: its exit status says why, below
            }
            String line = null;
            String protocolError = null;
            try {
                FrameReader frames = new FrameReader(p.getInputStream(), manifest.limits().maxFrameBytes());
                // the answer is the first JSON line; stray prints and a handshake (from a plugin written for both modes) are skipped
                while ((line = frames.next()) != null && (!line.strip().startsWith("{") || line.contains("\"" + Protocol.HANDSHAKE + "\""))) {
                    if (!line.isBlank() && !line.strip().startsWith("{")) {
                        log.strayStdout(line);
                    }
                }
            } catch (FrameReader.FrameTooLargeException e) {
                protocolError = e.getMessage();
            } catch (IOException e) {
                line = null;
            }
            if (line != null && protocolError == null && !timedOut.get()) {
                JsonObject response = Messages.object(line);
                if (response == null) {
                    throw new PluginCrashedException(name, "answered " + method + " with a malformed frame: " + Messages.quote(line));
                }
                answered = true;
                awaitExit(spawned, watchdog, timedOut, method, release); // the caller has its answer: the exit is awaited off its path
                return Invoker.resultOf(name, method, response);
            }
            p.waitFor(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS);
            try {
                spawned.stderr().get(200, TimeUnit.MILLISECONDS); // its last words, for the error
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException stillReading) {
                // said without them
            }
            if (timedOut.get()) {
                throw new PluginTimeoutException(name, method + " did not answer within " + timeoutMs + " ms (the process was killed)");
            }
            if (protocolError != null) {
                launched.killAll();
                throw new PluginCrashedException(name, protocolError);
            }
            String status = p.isAlive() ? "closed its stdout" : ExitStatus.describe(p.exitValue());
            String last = spawned.lastStderr().get();
            throw new PluginCrashedException(name, status + " without an answer to " + method
                    + (last == null ? "" : "; last stderr line: " + Messages.quote(last.strip())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginCrashedException(name, method + " was interrupted");
        } finally {
            if (!answered) {
                watchdog.cancel(false);
                if (p.isAlive()) {
                    launched.killAll();
                }
            }
        }
    }

    /**
     * After the answer: the process has until the call's deadline to exit, or it is killed with what it
     * started (said in the log); its slot is free once it is gone.
     */
    private void awaitExit(Spawned spawned, ScheduledFuture<?> watchdog, AtomicBoolean timedOut, String method, Runnable release) {
        spawned.process().onExit().whenComplete((p, failure) -> {
            watchdog.cancel(false);
            try {
                p.getInputStream().close(); // its stdout is not held open until the garbage collector finds it
            } catch (java.io.IOException ignored) {
                // closed
            }
            if (timedOut.get()) {
                log.host(java.util.logging.Level.WARNING, "answered " + method + " but did not exit within its deadline: killed");
            }
            release.run();
        });
    }

    /** Kills the processes spawned ahead; calls in flight finish on theirs. */
    @Override
    public void shutdown() {
        if (retirement != null) {
            retirement.cancel(false);
        }
        List<Spawned> left;
        synchronized (this) {
            shut = true;
            left = new ArrayList<>(warm);
            warm.clear();
        }
        for (Spawned s : left) {
            s.launched().killAll();
        }
    }

    /** What its manifest declares: no handshake tells more. */
    @Override
    public java.util.List<io.atrium.api.Capability> capabilities() {
        return manifest.capabilities();
    }
}
