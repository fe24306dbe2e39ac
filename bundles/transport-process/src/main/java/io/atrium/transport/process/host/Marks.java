package io.atrium.transport.process.host;

import io.atrium.transport.process.protocol.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds every process a plugin's process started, wherever it went. Each launch gets a mark, the value of
 * {@link Protocol#INSTANCE_ENV} in its environment, and every process it starts inherits it: a child that
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
        return Protocol.INSTANCE_ENV + "=" + host + "-";
    }

    /**
     * SIGKILLs every process that carries the mark, until none is left (a few rounds at most).
     *
     * @return how many were killed
     */
    static int kill(String mark) {
        byte[] entry = (Protocol.INSTANCE_ENV + "=" + mark + "\0").getBytes(StandardCharsets.UTF_8);
        long self = ProcessHandle.current().pid();
        int killed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int found = 0;
            try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
                for (Path dir : pids) {
                    long pid = Long.parseLong(dir.getFileName().toString());
                    if (pid != self && carries(dir.resolve("environ"), entry)) {
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

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.length() < 19 && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** A killed process is a zombie until reaped, with an empty environ: it is not found again. */
    private static boolean carries(Path environ, byte[] entry) {
        byte[] env;
        try {
            env = Files.readAllBytes(environ);
        } catch (IOException | SecurityException goneOrNotOurs) {
            return false;
        }
        if (env.length > 0 && env[env.length - 1] != 0) {
            env = java.util.Arrays.copyOf(env, env.length + 1); // the last entry ends with the file
        }
        outer:
        for (int i = 0; i + entry.length <= env.length; i++) {
            if (i > 0 && env[i - 1] != 0) {
                continue; // entries start after a NUL
            }
            for (int j = 0; j < entry.length; j++) {
                if (env[i + j] != entry[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
