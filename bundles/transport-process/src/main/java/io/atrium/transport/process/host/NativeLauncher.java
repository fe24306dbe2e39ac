package io.atrium.transport.process.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The native launcher, {@code atrium-launch} (src/main/c/atrium-launch.c, built into this bundle for
 * Linux x86-64): one exec before the plugin's own, where {@code setsid}, a held {@code /bin/sh} and
 * {@code prlimit} took three. It sets the memory and CPU caps, puts the plugin in a session of its own,
 * and asks the kernel to SIGKILL it when the thread that started it ends; so every launch runs on one
 * thread, {@link #spawn}'s, that lives as long as the transport: the plugin ends with the server
 * however the server ends, with no window between its start and the orphan guard's listing of it.
 *
 * <p>The file is written, owner-only, into the server's data folder and run once before its first use;
 * where that fails (another system, a data folder mounted {@code noexec}), the transport says so in one
 * log line and launches through {@code setsid} and {@code /bin/sh} as before.
 */
final class NativeLauncher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.process");
    private static final String RESOURCE = "/io/atrium/transport/process/host/linux-amd64/atrium-launch";

    private final Path file;
    /** The one thread every launch runs on: a plugin's death signal follows the thread that started it. */
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "atrium-process-spawner");
        t.setDaemon(true);
        return t;
    });

    private NativeLauncher(Path file) {
        this.file = file;
    }

    /**
     * @param folder an owner-only folder of the server's to put the launcher into
     * @return the launcher, checked by running it once, or null where it cannot be used (said in the log)
     */
    static NativeLauncher install(Path folder) {
        if (!"linux".equals(System.getProperty("os.name", "").toLowerCase(Locale.ROOT)) || !"amd64".equals(System.getProperty("os.arch"))) {
            return null; // built for Linux x86-64 only: elsewhere the shell launch is the one there is
        }
        try (InputStream in = NativeLauncher.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                LOG.info("this build has no native launcher: plugins are launched through setsid and /bin/sh");
                return null;
            }
            byte[] bytes = in.readAllBytes();
            if (Files.isSymbolicLink(folder)) {
                throw new IOException(folder + " is a symbolic link, not a folder of the server's own");
            }
            Files.createDirectories(folder);
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            Path file = folder.resolve("atrium-launch");
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !Arrays.equals(Files.readAllBytes(file), bytes)) {
                Path tmp = Files.createTempFile(folder, "atrium-launch", ".tmp");
                Files.write(tmp, bytes);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            NativeLauncher launcher = new NativeLauncher(file);
            launcher.check();
            return launcher;
        } catch (IOException | RuntimeException e) {
            LOG.warning("the native launcher cannot be used (" + e.getMessage() + "): plugins are launched through setsid and /bin/sh");
            return null;
        }
    }

    /** Runs {@code /bin/true} through it: a data folder mounted noexec, or a foreign libc, shows here, not at a plugin's launch. */
    private void check() throws IOException {
        List<String> cmd = new ArrayList<>(prefix(0, 0));
        cmd.add("/bin/true");
        Process p = spawn(new ProcessBuilder(cmd).redirectErrorStream(true));
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(file + " did not finish a trial run");
            }
            if (p.exitValue() != 0) {
                throw new IOException(file + " failed a trial run with status " + p.exitValue() + ": "
                        + new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the native launcher's trial run");
        } finally {
            close(p);
        }
    }

    private static void close(Process p) {
        try {
            p.getInputStream().close();
            p.getOutputStream().close();
            p.getErrorStream().close();
        } catch (IOException ignored) {
            // closed
        }
    }

    /**
     * @param dataBytes the memory cap ({@code RLIMIT_DATA}), 0 for none
     * @param cpuSeconds the CPU cap ({@code RLIMIT_CPU}: SIGXCPU at it, SIGKILL a second later), 0 for none
     * @return what comes before the executable and its arguments
     */
    List<String> prefix(long dataBytes, long cpuSeconds) {
        List<String> p = new ArrayList<>(List.of(file.toString(), Long.toString(ProcessHandle.current().pid())));
        if (dataBytes > 0) {
            p.add("--data=" + dataBytes);
        }
        if (cpuSeconds > 0) {
            p.add("--cpu=" + cpuSeconds + ":" + (cpuSeconds + 1));
        }
        p.add("--");
        return p;
    }

    /**
     * Starts the process on the spawner thread, whose end is the plugin's: launched through {@link #prefix},
     * it dies with it. Not interruptible (a launch takes milliseconds): a process started is returned, never lost.
     */
    Process spawn(ProcessBuilder pb) throws IOException {
        Future<Process> f;
        try {
            f = spawner.submit(pb::start); // submit, not execute: a failure is the caller's, and the thread lives on
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            throw new IOException("the process transport is stopping");
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Ends the spawner thread: every process it started and that still runs gets SIGKILL. Called after the plugins were stopped. */
    @Override
    public void close() {
        spawner.shutdown();
    }
}
