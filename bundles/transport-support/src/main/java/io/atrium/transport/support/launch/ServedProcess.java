package io.atrium.transport.support.launch;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A plugin process started by the {@link NativeLauncher native launcher}: its child, not the JVM's, so
 * its exit status comes from the launcher, and a signal goes through the launcher, which sends it only
 * while the process is not reaped (never to a pid reused since). Its streams are pipes the launcher made;
 * each stream the process writes closes itself at its end.
 */
final class ServedProcess extends Process {
    private final NativeLauncher.Server launcher;
    private final long pid;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    /** The exit status as the JDK reports it: the exit code, or 128 + the signal. */
    private final CompletableFuture<Integer> exit;
    /**
     * The JDK's handle of the process, taken at its start: it records the start time, so its children and
     * descendants are never a stranger's that got the pid later. Empty when it had ended already.
     */
    private final java.util.Optional<ProcessHandle> handle;

    ServedProcess(NativeLauncher.Server launcher, long pid, java.io.FileOutputStream stdin, InputStream stdout, InputStream stderr,
                  CompletableFuture<Integer> exit) {
        this.launcher = launcher;
        this.pid = pid;
        this.stdin = new java.io.BufferedOutputStream(stdin);
        this.stdout = new ClosingAtEnd(stdout);
        this.stderr = new ClosingAtEnd(stderr);
        this.exit = exit;
        this.handle = ProcessHandle.of(pid);
        exit.whenComplete((status, failure) -> {
            try {
                // as the JDK's processes do: a write after the exit fails at once. The descriptor itself, not the
                // buffer, whose close would wait for a writer stuck on a full pipe (one a process left behind holds)
                stdin.close();
            } catch (IOException ignored) {
                // closed
            }
        });
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    @Override
    public InputStream getInputStream() {
        return stdout;
    }

    @Override
    public InputStream getErrorStream() {
        return stderr;
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("process " + pid + " has not exited");
        }
        return exit.join();
    }

    @Override
    public void destroy() {
        launcher.signal(pid, 15);
    }

    @Override
    public Process destroyForcibly() {
        launcher.signal(pid, 9);
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exit.thenApply(status -> this);
    }

    @Override
    public ProcessHandle toHandle() {
        return handle.orElseThrow(() -> new IllegalStateException("process " + pid + " has exited"));
    }

    @Override
    public Stream<ProcessHandle> children() {
        return isAlive() ? handle.filter(ProcessHandle::isAlive).map(ProcessHandle::children).orElseGet(Stream::empty) : Stream.empty();
    }

    @Override
    public Stream<ProcessHandle> descendants() {
        return isAlive() ? handle.filter(ProcessHandle::isAlive).map(ProcessHandle::descendants).orElseGet(Stream::empty) : Stream.empty();
    }

    @Override
    public String toString() {
        return "Process[pid=" + pid + ", exitValue=" + (exit.isDone() ? exit.join() : "\"not exited\"") + "]";
    }

    /** Closes its file at the end of the stream: the pipe is not held open until the garbage collector finds it. */
    private static final class ClosingAtEnd extends FilterInputStream {
        private volatile boolean ended;

        ClosingAtEnd(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            if (ended) {
                return -1;
            }
            int b = super.read();
            if (b < 0) {
                end();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            int n = super.read(b, off, len);
            if (n < 0) {
                end();
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return ended ? 0 : super.available();
        }

        private void end() throws IOException {
            ended = true;
            close();
        }
    }
}
