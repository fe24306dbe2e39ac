package io.atrium.transport.process.host;

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
 * <p>A call does not wait for a process to be spawned: {@link #WARM} processes are spawned ahead and
 * wait on their stdin, each used for exactly one call; each call tops them up again off its path (so a
 * plugin that dies at once costs at most {@code WARM + 1} spawns a call, never a loop). A call
 * returns at its answer; its slot is held until its process exits, or is killed at the deadline.
 */
final class ExecRunner implements Invoker {
    /** Processes one plugin may run at once; more calls wait for a slot within their timeout. */
    static final int MAX_PROCESSES = 16;
    /** Processes spawned ahead, waiting for a call each. */
    static final int WARM = 2;
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

    ExecRunner(Launcher launcher, PluginManifest manifest, PluginLog log, ScheduledExecutorService timers, Executor spawner) {
        this.launcher = launcher;
        this.manifest = manifest;
        this.log = log;
        this.timers = timers;
        this.spawner = spawner;
        for (int i = 0; i < WARM; i++) {
            spawnAhead();
        }
    }

    /** A started process, its stderr read into the log, not yet given its call. */
    private record Spawned(Launcher.Launched launched, AtomicReference<String> lastStderr, Thread stderr) {
        Process process() {
            return launched.process();
        }
    }

    private Spawned spawn() throws IOException {
        Launcher.Launched launched = launcher.start(manifest);
        Process p = launched.process();
        AtomicReference<String> lastStderr = new AtomicReference<>();
        Thread stderr = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        lastStderr.set(line);
                        log.stderr(line);
                    }
                }
            } catch (IOException ignored) {
                // gone
            }
        }, "atrium-plugin-" + manifest.name() + "-exec-stderr");
        stderr.setDaemon(true);
        stderr.start();
        return new Spawned(launched, lastStderr, stderr);
    }

    /** Spawns one process ahead of the calls, unless enough are waiting or being spawned. */
    private void spawnAhead() {
        synchronized (this) {
            if (shut || warm.size() + spawning >= WARM) {
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
            s = warm.pollFirst();
        }
        if (s != null && !s.process().isAlive()) {
            s.launched().killAll(); // it died waiting (killed from outside): what it started goes too
            s = null;
        }
        // this call's own spawn, when there was none, goes first: the ones for the next calls queue behind it
        Spawned mine = s != null ? s : spawn();
        for (int i = 0; i < WARM; i++) {
            spawnAhead(); // for the next calls, off this one's path: the one taken, and any that died waiting
        }
        return mine;
    }

    /** @return how many processes wait for a call, for plugin:info */
    synchronized int warm() {
        return warm.size();
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
            spawned.stderr().join(200);
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
            if (timedOut.get()) {
                log.host(java.util.logging.Level.WARNING, "answered " + method + " but did not exit within its deadline: killed");
            }
            release.run();
        });
    }

    /** Kills the processes spawned ahead; calls in flight finish on theirs. */
    @Override
    public void shutdown() {
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
