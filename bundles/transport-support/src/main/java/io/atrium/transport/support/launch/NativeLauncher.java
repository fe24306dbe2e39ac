package io.atrium.transport.support.launch;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The native launcher, {@code atrium-launch} (src/main/c/atrium-launch.c, built into this bundle for
 * Linux x86-64): one small process per transport that starts every plugin with one fork and the plugin's
 * own exec, where a launch through the JDK execs its jspawnhelper first (measured: about 2 ms of CPU a
 * launch, as much as a Go plugin's whole run) and a held {@code /bin/sh}, {@code setsid} and
 * {@code prlimit} took three more. It sets the memory and CPU caps, puts each plugin in a session of its
 * own, and has the kernel SIGKILL it when its parent, the launcher, ends; the launcher itself gets the
 * same signal when the thread that started it ends, so it is started on one thread, {@link #spawner},
 * that lives as long as the transport: a plugin ends with the server however the server ends.
 *
 * <p>Requests go to the launcher's stdin, answers and exit statuses come on its stdout (read by one
 * thread, which runs nothing else: exits are told on {@link #exits}); a plugin's stdin, stdout and stderr
 * are pipes the launcher makes, which the server opens as {@code /proc/LAUNCHER/fd/N} (Java cannot
 * receive a descriptor; an open of a pipe there never waits, and nothing has a name in any folder),
 * after which the launcher closes its copies (see the C source for the protocol).
 *
 * <p>The file is written, owner-only, into the server's data folder and tried once (it starts
 * {@code /bin/true}) before its first use; where that fails (another system, a data folder mounted
 * {@code noexec}), the transport says so in one log line and launches through {@code setsid} and
 * {@code /bin/sh}. A launcher that dies (killed from outside) takes its plugins with it; the transport
 * sees them crash, and the next launch starts a new launcher.
 */
final class NativeLauncher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.process");
    private static final String RESOURCE = "/io/atrium/transport/support/launch/atrium-launch";
    /** How long a launch waits for the launcher's answer: it answers in well under a millisecond. */
    private static final long ANSWER_MS = 10_000;
    /** What a process of a launcher that ended is reported as: the kernel SIGKILLed it (128 + 9). */
    private static final int KILLED = 137;

    /** The launcher's largest request and most fields (atrium-launch.c's MAX_REQUEST and MAX_FIELDS): it ends on a larger one. */
    static final int MAX_REQUEST = 4 << 20;
    static final int MAX_FIELDS = 65536;

    private final Path file;
    /** The launcher's bytes, as built into this bundle: the file is compared with them before each start. */
    private final byte[] bytes;
    /**
     * Where the processes' exits are told (their futures completed): not on the reader thread, which
     * a callback that blocks (a close waiting for a writer stuck on a full pipe) would stop for every plugin.
     */
    private final ExecutorService exits = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "atrium-process-exits");
        t.setDaemon(true);
        return t;
    });
    /** The one thread that starts the launcher: its death signal follows the thread that started it. */
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "atrium-process-spawner");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong();
    /** Guarded by this: the running launcher, or null before the first launch and after one ended. */
    private Server server;
    /** Guarded by this. */
    private boolean closed;

    private NativeLauncher(Path file, byte[] bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    /**
     * @param folder an owner-only folder of the server's to put the launcher into
     * @return the launcher, checked by starting a process with it, or null where it cannot be used (said in the log)
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
            privateFolder(folder);
            Path file = folder.resolve("atrium-launch");
            put(file, bytes);
            NativeLauncher launcher = new NativeLauncher(file, bytes);
            try {
                launcher.check();
            } catch (IOException | RuntimeException e) {
                launcher.close();
                throw e;
            }
            return launcher;
        } catch (IOException | RuntimeException e) {
            LOG.warning("the native launcher cannot be used (" + e.getMessage() + "): plugins are launched through setsid and /bin/sh");
            return null;
        }
    }

    /**
     * Writes the launcher's file unless it holds exactly its bytes: at its install, and again before each
     * start of a launcher (a plugin runs as the server's user, and could have put another program there).
     */
    private static void put(Path file, byte[] bytes) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !Arrays.equals(Files.readAllBytes(file), bytes)) {
            Path tmp = Files.createTempFile(file.getParent(), "atrium-launch", ".tmp");
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Makes the folder, owner-only; one that is a symbolic link is refused (its target's permissions would be changed). */
    private static void privateFolder(Path folder) throws IOException {
        if (Files.isSymbolicLink(folder)) {
            throw new IOException(folder + " is a symbolic link, not a folder of the server's own");
        }
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
    }

    /** Starts {@code /bin/true} through it: a data folder mounted noexec, or a foreign libc, shows here, not at a plugin's launch. */
    private void check() throws IOException {
        Process p = spawn(new ProcessBuilder("/bin/true").directory(file.getParent().toFile()), 0, 0);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(file + " did not finish a trial run");
            }
            if (p.exitValue() != 0) {
                throw new IOException(file + " failed a trial run with status " + p.exitValue() + ": "
                        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the native launcher's trial run");
        } finally {
            p.getInputStream().close();
            p.getErrorStream().close();
        }
    }

    /**
     * Starts the process through the launcher, with the command, environment and working directory of
     * {@code pb}. Not interruptible (a launch takes a millisecond): a process started is returned, never lost.
     *
     * @param dataBytes  the memory cap ({@code RLIMIT_DATA}), 0 for none
     * @param cpuSeconds the CPU cap ({@code RLIMIT_CPU}: SIGXCPU at it, SIGKILL a second later), 0 for none
     * @throws IOException when the launcher cannot start it; the executable's own failure to run is its
     *                     exit status 127 with one line on its stderr, as with any launch
     */
    Process spawn(ProcessBuilder pb, long dataBytes, long cpuSeconds) throws IOException {
        List<String> fields = new ArrayList<>();
        long id = ids.incrementAndGet();
        fields.addAll(List.of("spawn", Long.toString(id), pb.directory() == null ? "." : pb.directory().getPath(),
                Long.toString(dataBytes), Long.toString(cpuSeconds), Integer.toString(pb.command().size())));
        fields.addAll(pb.command());
        fields.add(Integer.toString(pb.environment().size()));
        pb.environment().forEach((k, v) -> fields.add(k + "=" + v));
        long size = 0;
        for (String f : fields) {
            if (f.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument or variable holds a NUL character: " + f.replace('\0', '?'));
            }
            size += f.length() * 3L + 1; // at most 3 UTF-8 bytes a char: the bound, without encoding twice
        }
        if (fields.size() + 1 > MAX_FIELDS || size > MAX_REQUEST && encodedSize(fields) > MAX_REQUEST) {
            throw new IllegalArgumentException("the command and environment are " + (fields.size() - 7) + " arguments and variables, "
                    + encodedSize(fields) + " bytes: over the launcher's limits (" + (MAX_FIELDS - 8) + " of them, " + (MAX_REQUEST >> 20) + " MiB)");
        }
        Server s = server();
        Started it;
        try {
            it = ask(s, id, fields);
        } catch (LauncherEnded ended) {
            // the launcher died (killed from outside) before it answered: this launch goes to a new one, once
            s.ended = true;
            s = server();
            it = ask(s, id, fields);
        }
        long pid = it.pid();
        String fds = "/proc/" + s.process.pid() + "/fd/";
        java.io.Closeable[] opened = new java.io.Closeable[3];
        try {
            // the launcher holds these ends until told: an open of a pipe through /proc never waits
            FileOutputStream stdin = new FileOutputStream(fds + it.fds()[0]);
            opened[0] = stdin;
            FileInputStream stdout = new FileInputStream(fds + it.fds()[1]);
            opened[1] = stdout;
            FileInputStream stderr = new FileInputStream(fds + it.fds()[2]);
            opened[2] = stderr;
            return new ServedProcess(s, pid, stdin, new BufferedInputStream(stdout), new BufferedInputStream(stderr), it.exit());
        } catch (IOException e) {
            s.signal(pid, 9);
            for (java.io.Closeable c : opened) {
                if (c != null) {
                    c.close();
                }
            }
            throw new IOException("its pipes could not be opened (" + e.getMessage() + "): the native launcher ended meanwhile");
        } finally {
            try {
                s.send(List.of("opened", Long.toString(id))); // the launcher's copies closed: the plugin's stdout ends with the plugin
            } catch (IOException gone) {
                // the launcher ended: its process was killed, and is reported so
            }
        }
    }

    /** The launcher ended before it answered: the request may go to a new one. */
    private static final class LauncherEnded extends IOException {
        private static final long serialVersionUID = 1L;

        LauncherEnded(String message) {
            super(message);
        }
    }

    /** Sends a spawn request and waits for its answer. */
    private Started ask(Server s, long id, List<String> fields) throws IOException {
        CompletableFuture<Started> started = new CompletableFuture<>();
        s.starting.put(id, started);
        boolean interrupted = false;
        try {
            try {
                s.send(fields);
            } catch (IOException gone) {
                throw new LauncherEnded(gone.getMessage());
            }
            while (true) {
                try {
                    return started.get(ANSWER_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    s.abandoned.put(id, Boolean.TRUE); // should its answer come later, its process is killed then
                    throw new IOException("the native launcher did not answer within " + ANSWER_MS + " ms");
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        } finally {
            s.starting.remove(id);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long encodedSize(List<String> fields) {
        long n = 0;
        for (String f : fields) {
            n += f.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return n;
    }

    /** @return the running launcher, started on the spawner thread when there is none */
    private synchronized Server server() throws IOException {
        if (closed) {
            throw new IOException("the process transport is stopping");
        }
        if (server != null && !server.ended) {
            return server;
        }
        put(file, bytes); // a plugin may have replaced it: it runs every later plugin
        ProcessBuilder pb = new ProcessBuilder(file.toString(), Long.toString(ProcessHandle.current().pid()))
                .redirectErrorStream(true); // its own few words come on stdout, between its answers
        pb.environment().clear();
        Future<Process> f;
        try {
            f = spawner.submit(pb::start); // submit, not execute: a failure is the caller's, and the thread lives on
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            throw new IOException("the process transport is stopping");
        }
        Process p;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    p = f.get();
                    break;
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
        server = new Server(p);
        return server;
    }

    /** @return the launcher's pid, or -1 when none runs (for tests) */
    synchronized long pid() {
        return server == null || server.ended ? -1 : server.process.pid();
    }

    /**
     * Ends the launcher, which kills every process it started that still runs, and the spawner thread
     * (the kernel's signal does the same, should the launcher not read). Called after the plugins were stopped.
     */
    @Override
    public void close() {
        Server s;
        synchronized (this) {
            closed = true;
            s = server;
        }
        if (s != null) {
            s.stop();
        }
        spawner.shutdown();
        exits.shutdown();
    }

    /** A process the launcher started, its exit status to come (it may have come already), and the launcher's descriptors of its pipes. */
    private record Started(long pid, CompletableFuture<Integer> exit, int[] fds) {
    }

    /** One running launcher: its requests, and the processes it started and has not reported as ended. */
    final class Server {
        final Process process;
        private final OutputStream requests;
        /** Launches waiting for their pid, by request id. */
        final Map<Long, CompletableFuture<Started>> starting = new ConcurrentHashMap<>();
        /** Processes not reported as ended, by pid: their exit status. */
        final Map<Long, CompletableFuture<Integer>> running = new ConcurrentHashMap<>();
        /** Launches that stopped waiting for their answer, by request id: their process is killed when it comes. */
        final Map<Long, Boolean> abandoned = new ConcurrentHashMap<>();
        volatile boolean ended;
        private volatile boolean stopping;

        Server(Process process) {
            this.process = process;
            this.requests = process.getOutputStream();
            Thread reader = new Thread(this::read, "atrium-process-launcher");
            reader.setDaemon(true);
            reader.start();
        }

        /** Writes one request: its number of fields, then the fields, each ending in NUL. */
        void send(List<String> fields) throws IOException {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(256);
            b.writeBytes((fields.size() + "\0").getBytes(StandardCharsets.UTF_8));
            for (String f : fields) {
                b.writeBytes(f.getBytes(StandardCharsets.UTF_8));
                b.write(0);
            }
            synchronized (requests) {
                try {
                    requests.write(b.toByteArray());
                    requests.flush();
                } catch (IOException e) {
                    throw new IOException("the native launcher is gone: " + e.getMessage());
                }
            }
        }

        /** Signals the process, unless the launcher has reported it ended: a pid is never signalled after its reuse. */
        void signal(long pid, int signal) {
            if (!running.containsKey(pid)) {
                return;
            }
            try {
                send(List.of("kill", Long.toString(pid), Integer.toString(signal)));
            } catch (IOException gone) {
                // the launcher ended: its processes got the kernel's SIGKILL
            }
        }

        void stop() {
            stopping = true;
            try {
                requests.close(); // the launcher kills what it started and ends
            } catch (IOException ignored) {
                // gone already
            }
        }

        private void read() {
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    try {
                        answer(line);
                    } catch (RuntimeException malformed) {
                        // not the launcher's (a plugin of the same user can write to its stdout): said, and the reading goes on
                        LOG.warning("the native launcher (pid " + process.pid() + ") sent a line it does not send: " + line);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.warning("the native launcher (pid " + process.pid() + ") could not be read: " + e);
            } finally {
                ended();
            }
        }

        private void answer(String line) {
            String[] w = line.split(" ");
            if (w.length == 6 && w[0].equals("spawned")) {
                long id = Long.parseLong(w[1]);
                long pid = Long.parseLong(w[2]);
                int[] fds = {Integer.parseInt(w[3]), Integer.parseInt(w[4]), Integer.parseInt(w[5])};
                CompletableFuture<Integer> exit = new CompletableFuture<>();
                running.put(pid, exit); // before the launch hears of it: its exit may be the next line
                CompletableFuture<Started> waiting = starting.get(id);
                if (waiting != null) {
                    waiting.complete(new Started(pid, exit, fds));
                } else if (abandoned.remove(id) != null) {
                    // its launch gave up waiting: nobody would ever read or end it
                    signal(pid, 9);
                    sendQuietly(List.of("opened", Long.toString(id)));
                }
            } else if (w.length >= 3 && w[0].equals("failed")) {
                long id = Long.parseLong(w[1]);
                abandoned.remove(id);
                CompletableFuture<Started> waiting = starting.get(id);
                if (waiting != null) {
                    waiting.completeExceptionally(new IOException("the native launcher could not start it: "
                            + line.substring(("failed " + w[1] + " ").length())));
                }
            } else if (w.length == 3 && w[0].equals("exited")) {
                CompletableFuture<Integer> exit = running.remove(Long.parseLong(w[1]));
                int status = Integer.parseInt(w[2]);
                if (exit != null) {
                    tell(exit, status); // what waits on it runs on another thread, never here
                }
            } else if (!line.isBlank()) {
                LOG.warning("the native launcher (pid " + process.pid() + ") says: " + line);
            }
        }

        private void tell(CompletableFuture<Integer> exit, int status) {
            try {
                exits.execute(() -> exit.complete(status));
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                exit.complete(status); // the transport has stopped: nothing of it waits any longer
            }
        }

        private void sendQuietly(List<String> fields) {
            try {
                send(fields);
            } catch (IOException gone) {
                // the launcher ended: what it started was killed with it
            }
        }

        /** The launcher ended: what it started got the kernel's SIGKILL; no launch waits for it any longer. */
        private void ended() {
            ended = true;
            process.destroyForcibly();
            IOException gone = new LauncherEnded("the native launcher ended");
            starting.values().forEach(f -> f.completeExceptionally(gone));
            for (CompletableFuture<Integer> f : running.values()) {
                tell(f, KILLED);
            }
            running.clear();
            if (!stopping) {
                LOG.warning("the native launcher (pid " + process.pid() + ") ended: the plugins it started were killed with it, "
                        + "and the next launch starts a new one");
            }
        }
    }
}
