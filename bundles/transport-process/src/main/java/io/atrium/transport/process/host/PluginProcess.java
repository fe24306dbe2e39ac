package io.atrium.transport.process.host;

import io.atrium.transport.support.launch.ExitStatus;
import io.atrium.transport.support.launch.Launcher;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginException;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.spi.CallTrace;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.process.protocol.FrameReader;
import io.atrium.transport.process.protocol.Handshake;
import io.atrium.transport.process.protocol.Messages;
import io.atrium.transport.process.protocol.Protocol;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.support.kit.ManifestBasics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

/**
 * One running process of a plugin in service mode, and the connection to it: requests on its stdin,
 * answers and callbacks on its stdout, one JSON-RPC message per line, many calls in flight, answered
 * in any order. Its stderr goes to the host's log under the plugin's name.
 *
 * <p>Death is noticed at once: the process's exit (which also kills every process it started, so none
 * holds its stdout open: {@link Launcher.Launched}), the end of its stdout (it closed it), a broken pipe,
 * or a protocol violation, after which the process is killed. Calls in flight then fail as crashed,
 * naming the exit status or signal, and the owner is told once (unless this process was being
 * stopped on purpose).
 */
public final class PluginProcess implements Invoker {
    /** What the owner learns when the process dies on its own. */
    public interface Owner {
        /** The process died or was killed for misbehaving; called once, on the reader thread. */
        void broken(PluginProcess process, String reason);

        /** @return the plugin's configuration, for its {@code host.config} callback */
        JsonElement config();
    }

    private final PluginManifest manifest;
    private final PluginLog log;
    private final Owner owner;
    private final Launcher.Launched launched;
    private final Process process;
    private final OutputStream stdin;
    private final Map<Long, CompletableFuture<JsonElement>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger inflight = new AtomicInteger();
    /** Serializes writes to stdin; a writer that cannot have it in time gives up rather than block. */
    private final java.util.concurrent.locks.ReentrantLock writing = new java.util.concurrent.locks.ReentrantLock();
    /** When the write in progress must be done (System.nanoTime), 0 when none is. */
    private volatile long writeDeadline;
    /** How long a caller busy-waits for its answer before it parks. */
    static final long SPIN_NANOS = 50_000;
    private final java.util.concurrent.atomic.AtomicBoolean spinning = new java.util.concurrent.atomic.AtomicBoolean();
    private final CompletableFuture<String> firstLine = new CompletableFuture<>();
    /** Why the process ended, exit status included: completed once it is known. */
    private final CompletableFuture<String> death = new CompletableFuture<>();
    /** Set once, by whoever ends the connection first: the stdout reader, or {@link #exited()}. */
    private final java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
    /**
     * How long after the process's exit its stdout may stay open: the end of the processes it started, then
     * the answers still in the pipe. Past it, a process that escaped the kill (it cleared its environment)
     * holds the pipe, and the plugin is dead all the same.
     */
    static final long EXIT_GRACE_MS = 2_000;
    /** Ids of calls the host stopped waiting for (timed out, interrupted), so a late answer is told from a second one. */
    private final Map<Long, Boolean> givenUp = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > 1024; // bounded: a plugin that never answers must not grow it without end
        }
    });
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private volatile boolean closing;
    private volatile String killedBecause;
    private volatile String died;
    private volatile String lastStderr;
    private volatile Handshake handshake;

    private PluginProcess(PluginManifest manifest, PluginLog log, Owner owner, Launcher.Launched launched) {
        this.manifest = manifest;
        this.log = log;
        this.owner = owner;
        this.launched = launched;
        this.process = launched.process();
        this.stdin = process.getOutputStream();
        this.stdoutReader = new Thread(this::readStdout, "atrium-plugin-" + manifest.name() + "-" + process.pid());
        this.stderrReader = new Thread(this::readStderr, "atrium-plugin-" + manifest.name() + "-" + process.pid() + "-stderr");
        stdoutReader.setDaemon(true);
        stderrReader.setDaemon(true);
    }

    /**
     * Launches the plugin and waits for its handshake.
     *
     * @return the process, handshake done and checked against the manifest
     * @throws PluginRejectedException when the plugin announces something the host refuses (cookie,
     *                                 protocol version, contract, name): launching it again would not help
     * @throws PluginCrashedException  when it cannot be started or exits before its handshake
     * @throws PluginTimeoutException  when it sends no handshake in time
     */
    public static PluginProcess launch(Launcher launcher, PluginManifest manifest, PluginLog log, Owner owner) {
        Launcher.Launched p;
        try {
            p = launcher.start(manifest, manifest.protocolEnv(launcher.pythonHelper()));
        } catch (IOException | IllegalArgumentException e) {
            throw new PluginCrashedException(manifest.name(), "could not be started: " + e.getMessage());
        }
        PluginProcess pp = new PluginProcess(manifest, log, owner, p);
        pp.stderrReader.start();
        pp.stdoutReader.start();
        // the plugin is dead when its process is, whoever holds its stdout (the guard kills what it started)
        p.process().onExit().thenRunAsync(pp::exited, CompletableFuture.delayedExecutor(EXIT_GRACE_MS, TimeUnit.MILLISECONDS));
        pp.awaitHandshake();
        return pp;
    }

    private void awaitHandshake() {
        String name = manifest.name();
        long timeout = manifest.limits().handshakeTimeoutMs();
        String line;
        try {
            line = firstLine.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            stop("sent no handshake within " + timeout + " ms");
            throw new PluginTimeoutException(name, "sent no handshake within " + timeout + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop("launch interrupted");
            throw new PluginUnavailableException(name, "launch interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause()); // never completed exceptionally
        }
        if (line == null) {
            closing = true;
            String reason;
            try {
                reason = death.get(5, TimeUnit.SECONDS); // a launch may wait for the exit status: it says why it did not start
            } catch (TimeoutException | ExecutionException e) {
                reason = awaitDeath("closed its stdout");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reason = "closed its stdout";
            }
            throw new PluginCrashedException(name, reason + ", before its handshake");
        }
        try {
            Handshake h = Handshake.parse(line);
            if (h.contract() == null && !manifest.contract().equals(ManifestBasics.NO_CONTRACT)) {
                throw new IllegalArgumentException("sent a handshake without its contract (its manifest says " + manifest.contract() + ")");
            }
            if (h.contract() != null && !h.contract().equals(manifest.contract())) {
                throw new IllegalArgumentException("announces the contract " + h.contract() + ", but its manifest says " + manifest.contract());
            }
            if (h.name() != null && !h.name().equals(name)) {
                throw new IllegalArgumentException("calls itself '" + h.name() + "', but its manifest says '" + name + "'");
            }
            if (h.version() != null && !h.version().equals(manifest.version())) {
                throw new IllegalArgumentException("announces version " + h.version() + ", but its manifest says " + manifest.version());
            }
            for (var promised : manifest.capabilities()) {
                if (h.capabilities().stream().noneMatch(c -> c.satisfies(promised))) {
                    throw new IllegalArgumentException("does not declare the capability " + promised + " its manifest promises");
                }
            }
            handshake = h;
        } catch (IllegalArgumentException refused) {
            stop(refused.getMessage());
            throw new PluginRejectedException(name, refused.getMessage());
        }
    }

    /** @return what the plugin announced */
    /** What its handshake declares. */
    @Override
    public java.util.List<io.atrium.api.Capability> capabilities() {
        return handshake().capabilities();
    }

    @Override
    public String label() {
        return " (pid " + pid() + ")";
    }

    public Handshake handshake() {
        return handshake;
    }

    /** @return the operating system's process id */
    public long pid() {
        return process.pid();
    }

    /** @return whether the process still runs */
    public boolean alive() {
        return process.isAlive() && died == null;
    }

    /** Set before its owner is told: a death told while the kit had not yet made it the plugin's is seen when it does. */
    @Override
    public String died() {
        return died;
    }

    // ------------------------------------------------------------------ calls

    @Override
    public JsonElement call(String method, String params, long timeoutMs) {
        int busy = inflight.incrementAndGet();
        try {
            String death = died;
            if (death != null) { // before closing: a dead instance is closed too, and its calls fail for its death
                throw new PluginCrashedException(manifest.name(), death);
            }
            if (closing) { // the kit closes an instance once its calls are done, or at a stop
                throw new PluginUnavailableException(manifest.name(), "was stopped");
            }
            if (busy > manifest.limits().maxInFlight()) {
                throw new PluginUnavailableException(manifest.name(), "is overloaded: " + manifest.limits().maxInFlight()
                        + " calls are in flight already (limits.maxInFlight); " + method + " was not sent");
            }
            long id = ids.incrementAndGet();
            byte[] frame = Messages.request(id, method, params, timeoutMs, CallTrace.traceparent(), CallTrace.tracestate()).getBytes(StandardCharsets.UTF_8);
            if (frame.length > manifest.limits().maxFrameBytes()) {
                throw new PluginRejectedException(manifest.name(), method + ": the request is " + frame.length
                        + " bytes, over the frame limit of " + manifest.limits().maxFrameBytes());
            }
            CompletableFuture<JsonElement> answer = new CompletableFuture<>();
            long start = System.nanoTime();
            pending.put(id, answer);
            try {
                if (!send(frame, timeoutMs, timeoutMs)) {
                    pending.remove(id);
                    checkWrites();
                    throw new PluginTimeoutException(manifest.name(), method + " could not be sent within " + timeoutMs
                            + " ms: the plugin is not reading its stdin");
                }
            } catch (IOException e) {
                pending.remove(id);
                // no waiting for the exit status here either: the reader, seeing the end of stdout, logs it
                String d = died;
                throw new PluginCrashedException(manifest.name(), d != null ? d : reasonNow("its stdin broke (" + e.getMessage()
                        + "); its exit status follows in the log and plugin:info"));
            }
            try {
                spinBriefly(answer);
                return answer.get(Math.max(0, timeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                giveUp(id);
                throw new PluginTimeoutException(manifest.name(), method + " did not answer within " + timeoutMs + " ms");
            } catch (ExecutionException e) {
                throw (RuntimeException) e.getCause();
            } catch (InterruptedException e) {
                giveUp(id);
                Thread.currentThread().interrupt();
                throw new PluginUnavailableException(manifest.name(), method + " was interrupted");
            }
        } finally {
            inflight.decrementAndGet();
        }
    }

    /**
     * Waits for a quick answer without parking, up to {@link #SPIN_NANOS}. A parked thread lets its CPU go
     * idle, and waking an idle virtual CPU costs tens of microseconds: measured here, a sequential call
     * took 56 µs parked and 13 µs spinning. Only a lone caller spins, so concurrent callers do not take
     * the CPU the plugin and the reader need.
     */
    private void spinBriefly(CompletableFuture<JsonElement> answer) {
        if (inflight.get() > 1 || !spinning.compareAndSet(false, true)) {
            return; // others are calling too: their answers keep the CPUs busy anyway
        }
        try {
            long end = System.nanoTime() + SPIN_NANOS;
            while (!answer.isDone() && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        } finally {
            spinning.set(false);
        }
    }

    /**
     * Pings the plugin; kills it when no answer comes in time.
     *
     * @return completes when the plugin answered, or when it was killed
     */
    public CompletableFuture<Void> checkHealth(long timeoutMs) {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonElement> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            // no waiting for stdin (a write in progress is checkWrites' business); the ping's own write has its timeout
            if (!send(Messages.request(id, Protocol.PING, null, timeoutMs).getBytes(StandardCharsets.UTF_8), 0, timeoutMs)) {
                pending.remove(id);
                checkWrites();
                return CompletableFuture.completedFuture(null);
            }
        } catch (IOException e) {
            pending.remove(id);
            return CompletableFuture.completedFuture(null); // the reader notices the death
        }
        return answer.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).handle((r, failure) -> {
            if (failure instanceof TimeoutException) {
                giveUp(id);
                kill("stopped answering: no answer to a health check within " + timeoutMs + " ms");
            }
            return null;
        });
    }

    /**
     * Writes one frame, unless stdin stays taken past {@code lockWaitMs}: a plugin that stops reading
     * fills its pipe, and a write then blocks. The write itself is bounded by {@link #checkWrites()}:
     * it has {@code writeMs} from the moment it has stdin (a writer that waited for stdin is not
     * charged for the wait; a deadline already past would get a busy, healthy plugin killed).
     *
     * @return false when stdin could not be had in time (nothing was written)
     */
    private boolean send(byte[] frame, long lockWaitMs, long writeMs) throws IOException {
        try {
            if (!writing.tryLock(lockWaitMs, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            writeDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(writeMs);
            stdin.write(frame);
            stdin.flush();
            return true;
        } finally {
            writeDeadline = 0;
            writing.unlock();
        }
    }

    /**
     * Kills the process when a frame has waited past its deadline to be written: the plugin stopped
     * reading its stdin, and the writer would otherwise block for good. Called every few hundred
     * milliseconds by the transport, and by any caller that gave up waiting to write.
     */
    public void checkWrites() {
        long d = writeDeadline;
        if (d != 0 && System.nanoTime() - d > 0 && died == null) {
            kill("stopped reading its stdin: a request could not be written within its deadline");
        }
    }

    /** The host stops waiting for a call's answer: one that comes later is late, not a stranger's. */
    private void giveUp(long id) {
        if (pending.remove(id) != null) {
            givenUp.put(id, Boolean.TRUE);
        }
    }

    // ------------------------------------------------------------------ reading

    private void readStdout() {
        FrameReader frames = new FrameReader(process.getInputStream(), manifest.limits().maxFrameBytes());
        try {
            String first = frames.next();
            firstLine.complete(first);
            if (first == null) {
                ended(null);
                return;
            }
            String line;
            while ((line = frames.next()) != null && !over.get()) {
                handle(line);
            }
            ended(null);
        } catch (FrameReader.FrameTooLargeException e) {
            firstLine.complete(null);
            ended(e.getMessage());
        } catch (IOException e) {
            firstLine.complete(null);
            ended(null);
        } catch (RuntimeException e) {
            log.host(Level.SEVERE, "broke the host's reader: " + e);
            ended("broke the host's reader: " + e);
        }
    }

    private void handle(String line) {
        String t = line.strip();
        if (t.isEmpty()) {
            return;
        }
        if (t.charAt(0) != '{') {
            log.strayStdout(line);
            return;
        }
        JsonObject msg = Messages.object(t);
        if (msg == null) {
            kill("sent a malformed frame: " + Messages.quote(line));
            return;
        }
        Long id;
        if (msg.has("method")) {
            callback(msg);
        } else if ((id = Messages.answerId(msg)) != null) {
            CompletableFuture<JsonElement> answer = pending.remove(id);
            if (answer == null) {
                log.host(Level.WARNING, givenUp.remove(id) != null
                        ? "answered call " + id + " after the host had stopped waiting for it (timed out); the answer is dropped"
                        : id <= ids.get() && id > 0
                        ? "answered call " + id + " again, after its first answer; the answer is dropped"
                        : "answered call " + id + ", which the host never made; the answer is dropped");
                return;
            }
            try {
                answer.complete(Invoker.resultOf(manifest.name(), "call " + id, msg));
            } catch (PluginException e) {
                answer.completeExceptionally(e);
            }
        } else {
            String why = Messages.idProblem(msg);
            kill(why != null ? "sent an answer " + why + ": " + Messages.quote(line)
                    : "sent a frame that is neither a request nor an answer: " + Messages.quote(line));
        }
    }

    /** A request or notification from the plugin to the host. */
    private void callback(JsonObject msg) {
        String method = Messages.string(msg, "method");
        JsonElement id = msg.get("id");
        JsonElement params = msg.get("params");
        try {
            JsonElement result;
            if (Protocol.LOG.equals(method)) {
                JsonObject p = params != null && params.isJsonObject() ? params.getAsJsonObject() : new JsonObject();
                String message = Messages.string(p, "message");
                log.callback(Messages.string(p, "level"), message != null ? message : String.valueOf(params));
                result = new JsonPrimitive(true);
            } else if (Protocol.CONFIG.equals(method)) {
                result = owner.config();
            } else {
                if (id != null) {
                    send(Messages.error(id, Protocol.METHOD_NOT_FOUND, "the host has no method '" + method + "'")
                            .getBytes(StandardCharsets.UTF_8), manifest.limits().callTimeoutMs(), manifest.limits().callTimeoutMs());
                }
                return;
            }
            if (id != null && !id.isJsonNull()) {
                send(Messages.result(id, result).getBytes(StandardCharsets.UTF_8), manifest.limits().callTimeoutMs(), manifest.limits().callTimeoutMs());
            }
        } catch (IOException e) {
            // the process is going: the reader sees the end of its stdout next
        }
    }

    private void readStderr() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    lastStderr = log.stderr(line); // hclog's JSON as the text it logged
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    /**
     * The process exited {@link #EXIT_GRACE_MS} ago and its stdout is still open: a process it started,
     * which escaped the kill, holds it. The plugin is dead all the same.
     */
    private void exited() {
        if (!over.get()) {
            ended(null, "; a process it started still holds its stdout");
        }
    }

    /** Stdout ended or broke: the process is dying, dead, or killed. Fails every call in flight. */
    private void ended(String protocolError) {
        ended(protocolError, "");
    }

    private void ended(String protocolError, String note) {
        if (!over.compareAndSet(false, true)) {
            return; // the reader and the exit both end it: once
        }
        if (protocolError != null) {
            kill(protocolError);
        }
        // the calls in flight fail now, at the end of the stream: the exit status may be a moment away (the
        // reaper's waitpid), and a caller should not wait for it; it is in the log and plugin:info once known
        String now = reasonNow("closed its stdout; its exit status follows in the log and plugin:info") + note;
        died = now;
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            it.remove();
            e.getValue().completeExceptionally(closing && killedBecause == null
                    ? new PluginUnavailableException(manifest.name(), "was stopped")
                    : new PluginCrashedException(manifest.name(), now));
        }
        String reason = awaitDeath("closed its stdout") + note;
        died = reason;
        death.complete(reason);
        firstLine.complete(null); // a launch still waiting for the handshake learns of the death
        if (!closing) {
            owner.broken(this, reason);
        }
    }

    /**
     * @return why the process ended, as far as is known without waiting: the reason it was killed for, its
     *         exit status when it was reaped already, or {@code ifUnknown}
     */
    private String reasonNow(String ifUnknown) {
        return killedBecause != null || !process.isAlive() ? deathReason() : ifUnknown;
    }

    /**
     * Waits briefly for the process to end and says why it did: the reason it was killed for, or its exit
     * status with its last words on stderr. A process that lives on without its pipes is killed.
     */
    private String awaitDeath(String ifAlive) {
        try {
            if (!process.waitFor(1, TimeUnit.SECONDS)) {
                kill(ifAlive);
                process.waitFor(1, TimeUnit.SECONDS);
            }
            stderrReader.join(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return deathReason();
    }

    private String deathReason() {
        if (killedBecause != null) {
            return killedBecause + " (killed)";
        }
        if (process.isAlive()) {
            return "is unresponsive";
        }
        StringBuilder why = new StringBuilder(ExitStatus.describe(process.exitValue()));
        String last = lastStderr;
        long cap = manifest.limits().memoryMb();
        if (cap > 0 && ExitStatus.outOfMemory(last)) {
            why.append(ExitStatus.underCap(cap));
        }
        if (last != null) {
            why.append("; last stderr line: ").append(Messages.quote(last.strip()));
        }
        return why.toString();
    }

    // ------------------------------------------------------------------ stopping

    /** Kills the process, and what it started, for misbehaving; the reader then fails its calls and tells the owner. */
    public void kill(String reason) {
        if (killedBecause == null) {
            killedBecause = reason;
        }
        launched.killAll();
    }

    /** Asks the plugin to exit (shutdown request, then end of stdin), then terminates it: 2 s, then SIGTERM, then SIGKILL. */
    @Override
    public void shutdown() {
        closing = true;
        long id = ids.incrementAndGet();
        pending.put(id, new CompletableFuture<>()); // its answer is expected, not a stranger's
        try {
            if (send(Messages.request(id, Protocol.SHUTDOWN, null, 2_000).getBytes(StandardCharsets.UTF_8), 2_000, 2_000)) {
                stdin.close();
            } // else: it is not reading; the termination below ends it
        } catch (IOException alreadyGone) {
            // exited already
        }
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroy();
                process.waitFor(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        launched.killAll(); // it, if it is still there, and what it started: stopped means all of it
    }

    private void stop(String reason) {
        closing = true;
        kill(reason);
    }
}
