package io.atrium.transport.support.launch;

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
 * ignores stdin never reads it, and the parent-death signal (see below) reaches only the plugin's own
 * process, not what it starts. So one small watchdog process per transport, {@code /bin/sh} running
 * {@link #SCRIPT}, reads "+PID" and "-PID" lines on its stdin as plugins start and end. The kernel closes
 * that pipe when the JVM ends, whatever ends it; the watchdog then reads its end and SIGKILLs the process
 * group of every plugin still listed, and exits. Plugins are started in a session of their own
 * ({@code setsid}), so the group also holds the processes a plugin started.
 *
 * <p>A plugin is listed only once it runs, and the server may die in between. The {@link NativeLauncher
 * native launcher} closes that window with the kernel's parent-death signal (asked for by the launcher,
 * on the one thread every launch runs on, and checked against the server's pid): the plugin dies with
 * the server by itself, and what it started in that instant carries its mark. Where there is no native
 * launcher, a plugin's process is held before it becomes the plugin ({@link #HOLD}) until the guard has
 * listed it and released it with a line on its stdin; when the server dies first, the held process reads
 * the end of its stdin and exits without running the plugin.
 *
 * <p>A watchdog that ends while the server runs (killed by hand, by the OOM killer) is replaced at the
 * next line it should be told: the new one is told every plugin still listed, so launches go on and the
 * running plugins stay guarded (between the two, a server's death would leave them running).
 *
 * <p>A process a plugin started that left its group and session ({@code setsid}) is found by the mark every
 * process of a launch inherits ({@link Marks}): when a plugin's process ends, whatever carries its mark is
 * killed at once, and when the server ends the watchdog kills whatever carries a mark of this transport.
 *
 * <p>Limits: a process that a plugin started with its environment cleared ({@code env -i}) and in another
 * session escapes; a watchdog killed together with the server (a kill of the server's whole process group,
 * the OOM killer) kills nothing.
 */
public final class OrphanGuard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.process");
    /**
     * POSIX sh: the pid list is " 1 2 3 "; a "-PID" line (the plugin ended) kills what is left of its group,
     * children it left behind, and takes its pid out. The group id stays the dead leader's while members
     * live, and the kernel gives no new process a pid in use as a group id, so the kill hits only them.
     * A group is named as {@code kill -9 -PGID}, never {@code kill -9 -- -PGID}: dash (/bin/sh on Debian and
     * Ubuntu) takes "--" for a pid, fails, and so killed no group at all, only the listed process itself.
     * At its end it also kills every process whose environment holds {@code $1}, this transport's mark prefix
     * ({@link Marks#prefix()}): those that left their plugin's group; one grep over /proc, a few rounds for
     * those that fork meanwhile (a killed process is a zombie with an empty environ, and is not found again).
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
            n=0
            while [ $n -lt 5 ]; do
              left=$(grep -lsFz -e "$1" /proc/[0-9]*/environ)
              [ -n "$left" ] || break
              for f in $left; do p=${f#/proc/}; kill -9 "${p%/environ}" 2>/dev/null; done
              n=$((n + 1))
            done
            """;
    /**
     * POSIX sh, run as the plugin's process before it executes the plugin: waits for the line {@link #watch}
     * writes once the pid is listed. sh reads a pipe byte by byte for {@code read}, so the plugin's stdin
     * starts right after that line.
     */
    static final String HOLD = "read -r listed || exit 125; exec \"$@\"";
    private static final Path SH = Path.of("/bin/sh");
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final Marks marks;
    private Process watchdog;
    private OutputStream pids;
    private boolean closed;
    /** The pids the watchdog was told of and not yet told the end of: what a replacement must be told. */
    private final java.util.Set<Long> listed = new java.util.LinkedHashSet<>();

    /** Made once: every launch uses it. */
    private final List<String> launchPrefix;

    private OrphanGuard(Process watchdog, Marks marks) {
        this.watchdog = watchdog;
        this.marks = marks;
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

    /** @return a guard without a watchdog: only a process's own marks are killed when it ends (for tests of what else guards) */
    static OrphanGuard unguarded() {
        return new OrphanGuard(null, new Marks());
    }

    /** @return a guard with its watchdog running, or one that guards nothing where there is no /bin/sh (said in the log) */
    public static OrphanGuard start() {
        Marks marks = new Marks();
        if (!Files.isExecutable(SH)) {
            LOG.warning("no /bin/sh: plugin processes are not killed when the server is killed");
            return new OrphanGuard(null, marks);
        }
        try {
            return new OrphanGuard(watchdog(marks), marks);
        } catch (IOException e) {
            LOG.warning("the orphan guard did not start (" + e.getMessage() + "): plugin processes are not killed when the server is killed");
            return new OrphanGuard(null, marks);
        }
    }

    private static Process watchdog(Marks marks) throws IOException {
        Process p = new ProcessBuilder(SH.toString(), "-c", SCRIPT, "atrium-orphan-guard", marks.prefix())
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

    /** @return the mark of a new launch: the value of its {@link Launcher#INSTANCE_ENV} */
    String mark() {
        return marks.next();
    }

    /**
     * Lists a plugin process started with {@link #launchPrefix} and {@code mark} until it ends, then lets it
     * run. When it ends, every process carrying its mark is killed: a plugin's processes end with it.
     *
     * @throws IOException when the guard cannot list it (it is closed: the transport is stopping); the
     *                     process is then still held, and ends with its stdin
     */
    void watch(Process plugin, String mark) throws IOException {
        watch(plugin, mark, watchdog != null);
    }

    /**
     * @param held whether the process was started behind {@link #launchPrefix} and waits for its release;
     *             one the native launcher started is not held: it dies with the server by itself, and so is
     *             only listed, for the processes it starts
     */
    void watch(Process plugin, String mark, boolean held) throws IOException {
        if (watchdog == null) {
            plugin.onExit().thenRun(() -> marks.ended(mark));
            return;
        }
        long pid = plugin.pid();
        if (!tell(true, pid)) {
            throw new IOException("the orphan guard is closed");
        }
        plugin.onExit().thenRun(() -> {
            marks.ended(mark);
            tell(false, pid);
        });
        if (held) {
            OutputStream in = plugin.getOutputStream();
            in.write('\n'); // the release: from here on, the watchdog has the pid
            in.flush();
        }
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
            watchdog = watchdog(marks);
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
        marks.close(); // a last sweep for the launches that just ended
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
