package io.atrium.transport.process.host;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sees to it that no plugin process outlives the server, however the server ends, SIGKILL included.
 *
 * <p>A plugin is told of the host's end by the end of its stdin, but a plugin that spins, blocks or
 * ignores stdin never reads it; Linux's parent-death signal is out of Java's reach (and would follow the
 * launching thread, not the JVM). So one small watchdog process per transport, {@code /bin/sh} running
 * {@link #SCRIPT}, reads "+PID" and "-PID" lines on its stdin as plugins start and end. The kernel closes
 * that pipe when the JVM ends, whatever ends it; the watchdog then reads its end and SIGKILLs the process
 * group of every plugin still listed, and exits. Plugins are started in a session of their own
 * ({@code setsid}), so the group also holds the processes a plugin started.
 *
 * <p>A plugin is listed only once it runs, and the server may die in between: so a plugin's process is
 * held before it becomes the plugin ({@link #HOLD}) until the guard has listed it and released it with a
 * line on its stdin. When the server dies first, the held process reads the end of its stdin and exits
 * without running the plugin.
 *
 * <p>A watchdog that ends while the server runs (killed by hand, by the OOM killer) is replaced at the
 * next line it should be told: the new one is told every plugin still listed, so launches go on and the
 * running plugins stay guarded (between the two, a server's death would leave them running).
 *
 * <p>Limits: a process that a plugin moved to another session or group itself escapes; a watchdog killed
 * together with the server (a kill of the server's whole process group, the OOM killer) kills nothing.
 */
public final class OrphanGuard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.process");
    /**
     * POSIX sh: the pid list is " 1 2 3 "; a "-PID" line (the plugin ended) kills what is left of its group,
     * children it left behind, and takes its pid out. The group id stays the dead leader's while members
     * live, and the kernel gives no new process a pid in use as a group id, so the kill hits only them.
     * A group is named as {@code kill -9 -PGID}, never {@code kill -9 -- -PGID}: dash (/bin/sh on Debian and
     * Ubuntu) takes "--" for a pid, fails, and so killed no group at all, only the listed process itself.
     */
    static final String SCRIPT = """
            pids=" "
            while IFS= read -r line; do
              case "$line" in
                +*) pids="$pids${line#+} " ;;
                -*) kill -9 "-${line#-}" 2>/dev/null
                    case "$pids" in *" ${line#-} "*) pids="${pids%% ${line#-} *} ${pids#* ${line#-} }" ;; esac ;;
              esac
            done
            for p in $pids; do kill -9 "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null; done
            """;
    /**
     * POSIX sh, run as the plugin's process before it executes the plugin: waits for the line {@link #watch}
     * writes once the pid is listed. sh reads a pipe byte by byte for {@code read}, so the plugin's stdin
     * starts right after that line.
     */
    static final String HOLD = "read -r listed || exit 125; exec \"$@\"";
    private static final Path SH = Path.of("/bin/sh");
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private Process watchdog;
    private OutputStream pids;
    private boolean closed;
    /** The pids the watchdog was told of and not yet told the end of: what a replacement must be told. */
    private final java.util.Set<Long> listed = new java.util.LinkedHashSet<>();

    /** Made once: every launch uses it. */
    private final List<String> launchPrefix;

    private OrphanGuard(Process watchdog) {
        this.watchdog = watchdog;
        this.pids = watchdog == null ? null : watchdog.getOutputStream();
        List<String> prefix = new ArrayList<>();
        if (watchdog != null) {
            if (Files.isExecutable(SETSID)) {
                prefix.add(SETSID.toString());
            }
            prefix.addAll(List.of(SH.toString(), "-c", HOLD, "atrium-plugin"));
        }
        this.launchPrefix = List.copyOf(prefix);
    }

    /** @return a guard with its watchdog running, or one that guards nothing where there is no /bin/sh (said in the log) */
    public static OrphanGuard start() {
        if (!Files.isExecutable(SH)) {
            LOG.warning("no /bin/sh: plugin processes are not killed when the server is killed");
            return new OrphanGuard(null);
        }
        try {
            return new OrphanGuard(watchdog());
        } catch (IOException e) {
            LOG.warning("the orphan guard did not start (" + e.getMessage() + "): plugin processes are not killed when the server is killed");
            return new OrphanGuard(null);
        }
    }

    private static Process watchdog() throws IOException {
        Process p = new ProcessBuilder(SH.toString(), "-c", SCRIPT, "atrium-orphan-guard")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getInputStream().close(); // discarded: no pipe to hold
        p.getErrorStream().close();
        return p;
    }

    /**
     * @return the prefix that starts a plugin in a session (and process group) of its own, where setsid
     *         exists, held until {@link #watch} lists it; empty when there is no watchdog
     */
    List<String> launchPrefix() {
        return launchPrefix;
    }

    /**
     * Lists a plugin process started with {@link #launchPrefix} until it ends, then lets it run.
     *
     * @throws IOException when the guard cannot list it (it is closed: the transport is stopping); the
     *                     process is then still held, and ends with its stdin
     */
    void watch(Process plugin) throws IOException {
        if (watchdog == null) {
            return;
        }
        long pid = plugin.pid();
        if (!tell(true, pid)) {
            throw new IOException("the orphan guard is closed");
        }
        plugin.onExit().thenRun(() -> tell(false, pid));
        OutputStream in = plugin.getOutputStream();
        in.write('\n'); // the release: from here on, the watchdog has the pid
        in.flush();
    }

    /** Tells the watchdog a plugin process started ({@code started}) or ended. */
    private synchronized boolean tell(boolean started, long pid) {
        if (closed) {
            return false; // the transport is stopping
        }
        String line = (started ? "+" : "-") + pid;
        if (started) {
            listed.add(pid);
        } else {
            listed.remove(pid);
        }
        try {
            write(line);
            return true;
        } catch (IOException e) {
            if (watchdog.isAlive()) {
                LOG.log(Level.WARNING, "the orphan guard cannot be told " + line, e);
                return false;
            }
        }
        // the watchdog ended under us: a new one, told every plugin still listed (this one included)
        long gone = watchdog.pid();
        try {
            watchdog = watchdog();
            pids = watchdog.getOutputStream();
            for (long p : listed) {
                write("+" + p);
            }
            LOG.warning("the orphan guard (pid " + gone + ") ended; pid " + watchdog.pid() + " guards the "
                    + listed.size() + " running plugin process(es) now");
            return true;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "the orphan guard (pid " + gone + ") ended and cannot be replaced", e);
            return false;
        }
    }

    private void write(String line) throws IOException {
        pids.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        pids.flush();
    }

    /** @return the watchdog's pid, or -1 when there is none */
    public synchronized long pid() {
        return watchdog == null ? -1 : watchdog.pid();
    }

    /**
     * Ends the watchdog as the server's end would: plugins still listed are killed. Called once the
     * transport has shut its plugins down, so only those that did not stop in time remain.
     */
    @Override
    public synchronized void close() {
        if (watchdog == null) {
            return;
        }
        closed = true;
        try {
            pids.close();
        } catch (IOException alreadyGone) {
            // the watchdog ended
        }
        try {
            if (!watchdog.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
                watchdog.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            watchdog.destroyForcibly();
        }
    }
}
