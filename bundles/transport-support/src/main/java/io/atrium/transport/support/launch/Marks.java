package io.atrium.transport.support.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds every process a plugin's process started, wherever it went. Each launch gets a mark, the value of
 * {@link Launcher#INSTANCE_ENV} in its environment, and every process it starts inherits it: a child that
 * moved to a session of its own ({@code setsid}) or lost its parent is still found by it, in
 * {@code /proc/PID/environ}. A process's parent, group and session can all be left; its inherited
 * environment stays unless it is cleared on purpose ({@code env -i}), which is the one way out.
 * Java cannot make the server a child subreaper (prctl needs native code), so this is how the rest of a
 * plugin is ended with it.
 */
final class Marks {
    private static final Path PROC = Path.of("/proc");
    /** Rounds of {@link #kill}: a marked process may fork between a scan and its kill; the next round finds the child. */
    private static final int ROUNDS = 5;

    private final String host = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    private final AtomicLong launches = new AtomicLong();

    /** @return a new launch's mark, unique to this transport's life: {@code HOST-N} */
    String next() {
        return host + "-" + launches.incrementAndGet();
    }

    /** @return what every mark of this transport starts with, as it appears in an environment ({@code ATRIUM_PLUGIN_INSTANCE=HOST-}) */
    String prefix() {
        return Launcher.INSTANCE_ENV + "=" + host + "-";
    }

    /** After a launch ends, its processes are swept for at once and again this long after (ms). */
    private static final long[] SWEEPS = {0, 100, 500, 2_000};
    /** Sweeps due within this window are made together: one scan of /proc serves every launch that ended. */
    private static final long COALESCE_MS = 50;
    /**
     * Scans are at least this far apart: exec-mode calls end a launch each, and one scan per end kept a
     * CPU busy with back-to-back calls (a scan reads every process's environ). A launch's first sweep
     * comes within this long of its end.
     */
    static final long MIN_GAP_MS = 100;
    /** When the last scan started (nanoTime); guarded by this. */
    private long lastScan = System.nanoTime() - java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(MIN_GAP_MS);
    /** The launches that ended and are still swept for: mark, and the index in {@link #SWEEPS} of its next sweep. Guarded by this. */
    private final java.util.Map<String, long[]> ended = new java.util.HashMap<>();
    private Thread sweeper;
    private boolean closed;

    /**
     * A launch ended: whatever carries its mark is killed, now and a little later (a process caught in
     * the middle of an exec shows no environment for an instant; one forked as a scan ran is not seen by
     * it). One thread sweeps for every ended launch of the transport at once: a scan of /proc costs about
     * a millisecond, and exec-mode plugins end a launch per call.
     */
    synchronized void ended(String mark) {
        if (closed) {
            kill(mark);
            return;
        }
        ended.put(mark, new long[] {0, System.nanoTime()});
        if (sweeper == null) {
            sweeper = new Thread(this::sweep, "atrium-process-sweeper");
            sweeper.setDaemon(true);
            sweeper.start();
        }
        notifyAll();
    }

    /** Ends the sweeping thread, after one last sweep for what is pending. */
    void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = sweeper;
            notifyAll();
        }
        if (t != null) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void sweep() {
        byte[] prefix = prefix().getBytes(StandardCharsets.UTF_8);
        while (true) {
            java.util.Set<String> marks;
            synchronized (this) {
                while (!closed) {
                    long now = System.nanoTime();
                    long next = Long.MAX_VALUE;
                    for (long[] d : ended.values()) {
                        next = Math.min(next, d[1]);
                    }
                    long waitMs = next == Long.MAX_VALUE ? 0 : Math.max(
                            java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(next - now) - COALESCE_MS,
                            MIN_GAP_MS - java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(now - lastScan));
                    if (next != Long.MAX_VALUE && waitMs <= 0) {
                        lastScan = now;
                        break;
                    }
                    try {
                        wait(Math.max(0, waitMs)); // 0: until a launch ends
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed && ended.isEmpty()) {
                    return;
                }
                marks = new java.util.HashSet<>(ended.keySet());
            }
            killCarrying(prefix, marks);
            synchronized (this) {
                long soon = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(COALESCE_MS);
                for (var it = ended.entrySet().iterator(); it.hasNext(); ) {
                    long[] d = it.next().getValue();
                    if (d[1] - soon <= 0) {
                        int round = (int) ++d[0];
                        if (round >= SWEEPS.length || closed) {
                            it.remove();
                        } else {
                            d[1] += java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(SWEEPS[round] - SWEEPS[round - 1]);
                        }
                    }
                }
                if (closed && ended.isEmpty()) {
                    return;
                }
            }
        }
    }

    /**
     * SIGKILLs every process whose mark (what follows {@code prefix}: this transport's, or any) is one of
     * {@code marks}, in a few rounds. A killed process is a zombie until reaped, with an empty environ: it
     * is not found again.
     *
     * @return how many were killed
     */
    private static int killCarrying(byte[] prefix, java.util.Set<String> marks) {
        long self = ProcessHandle.current().pid();
        int killed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int found = 0;
            try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
                for (Path dir : pids) {
                    long pid = Long.parseLong(dir.getFileName().toString());
                    String mark = pid == self || !mayCarry(dir) ? null : markOf(dir.resolve("environ"), prefix);
                    if (mark != null && marks.contains(mark)) {
                        found++;
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            } catch (IOException | SecurityException noProc) {
                return killed; // no /proc: only the process groups are killed (OrphanGuard)
            }
            if (found == 0) {
                break;
            }
            killed += found;
        }
        return killed;
    }

    /** The server's user id: a process of another user is none of the server's to find (nor is its environ readable). */
    private static final int UID = uid(PROC.resolve("self"));
    /** The kernel's flag for its own threads, in field 9 of /proc/PID/stat. */
    private static final long PF_KTHREAD = 0x00200000;

    private static int uid(Path dir) {
        try {
            return (Integer) Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    /**
     * @return whether the process may carry a mark: it is the server's user's, and no kernel thread. Both are
     *         told without reading its environ, which fails (an exception each) for another's process and,
     *         for a server run as root, for the kernel's threads: dozens a scan.
     */
    private static boolean mayCarry(Path dir) {
        int uid = uid(dir);
        if (uid != UID && UID != 0) {
            return false;
        }
        if (uid != 0) {
            return true;
        }
        try {
            String stat = new String(Files.readAllBytes(dir.resolve("stat")), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 8);
            return (Long.parseLong(f[6]) & PF_KTHREAD) == 0;
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** @return the mark in the environment, when its entry starts with {@code prefix}, else null */
    private static String markOf(Path environ, byte[] prefix) {
        byte[] env;
        try {
            env = Files.readAllBytes(environ);
        } catch (IOException | SecurityException goneOrNotOurs) {
            return null;
        }
        int variable = Launcher.INSTANCE_ENV.length() + 1;
        outer:
        for (int i = 0; i + prefix.length <= env.length; i++) {
            if (i > 0 && env[i - 1] != 0) {
                continue; // entries start after a NUL
            }
            for (int j = 0; j < prefix.length; j++) {
                if (env[i + j] != prefix[j]) {
                    continue outer;
                }
            }
            int end = i + prefix.length;
            while (end < env.length && env[end] != 0) {
                end++;
            }
            return new String(env, i + variable, end - i - variable, StandardCharsets.UTF_8);
        }
        return null;
    }

    /**
     * SIGKILLs every process that carries the mark, until none is left (a few rounds at most).
     *
     * @return how many were killed
     */
    static int kill(String mark) {
        return killCarrying((Launcher.INSTANCE_ENV + "=").getBytes(StandardCharsets.UTF_8), java.util.Set.of(mark));
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.length() < 19 && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
