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
 */
final class ExecRunner implements Invoker {
    /** Processes one plugin may run at once; more calls wait for a slot within their timeout. */
    static final int MAX_PROCESSES = 16;
    final java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(MAX_PROCESSES); // (package-private: tests hold slots)
    private final PluginManifest manifest;
    private final PluginLog log;
    private final ScheduledExecutorService timers;
    private final Launcher launcher;

    ExecRunner(Launcher launcher, PluginManifest manifest, PluginLog log, ScheduledExecutorService timers) {
        this.launcher = launcher;
        this.manifest = manifest;
        this.log = log;
        this.timers = timers;
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
        try {
            return run(method, params, timeoutMs); // the wait for a slot is not the process's time
        } finally {
            slots.release();
        }
    }

    private JsonElement run(String method, String params, long timeoutMs) {
        String name = manifest.name();
        byte[] request = Messages.request(1, method, params, timeoutMs, CallTrace.traceparent(), CallTrace.tracestate()).getBytes(StandardCharsets.UTF_8);
        if (request.length > manifest.limits().maxFrameBytes()) {
            throw new PluginRejectedException(name, method + ": the request is " + request.length
                    + " bytes, over the frame limit of " + manifest.limits().maxFrameBytes());
        }
        Launcher.Launched launched;
        try {
            launched = launcher.start(manifest);
        } catch (IOException | IllegalArgumentException e) {
            throw new PluginCrashedException(name, "could not be started: " + e.getMessage());
        }
        Process p = launched.process();
        AtomicBoolean timedOut = new AtomicBoolean();
        // the deadline starts here, as the request is handed over: the plugin reads deadlineMs from now
        ScheduledFuture<?> watchdog = timers.schedule(() -> {
            timedOut.set(true);
            launched.killAll();
        }, timeoutMs, TimeUnit.MILLISECONDS);
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
        }, "atrium-plugin-" + name + "-exec-stderr");
        stderr.setDaemon(true);
        stderr.start();
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
            p.waitFor(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS);
            stderr.join(200);
            if (timedOut.get()) {
                throw new PluginTimeoutException(name, method + " did not answer within " + timeoutMs + " ms (the process was killed)");
            }
            if (protocolError != null) {
                launched.killAll();
                throw new PluginCrashedException(name, protocolError);
            }
            if (line == null) {
                String status = p.isAlive() ? "closed its stdout" : ExitStatus.describe(p.exitValue());
                String last = lastStderr.get();
                throw new PluginCrashedException(name, status + " without an answer to " + method
                        + (last == null ? "" : "; last stderr line: " + Messages.quote(last.strip())));
            }
            JsonObject response = Messages.object(line);
            if (response == null) {
                throw new PluginCrashedException(name, "answered " + method + " with a malformed frame: " + Messages.quote(line));
            }
            return Invoker.resultOf(name, method, response);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginCrashedException(name, method + " was interrupted");
        } finally {
            watchdog.cancel(false);
            if (p.isAlive()) {
                launched.killAll();
            }
        }
    }

    @Override
    public void shutdown() {
        // nothing runs between calls
    }

    /** What its manifest declares: no handshake tells more. */
    @Override
    public java.util.List<io.atrium.api.Capability> capabilities() {
        return manifest.capabilities();
    }
}
