package io.atrium.runtime.control;

import io.atrium.runtime.AtriumException;
import io.atrium.runtime.CommandResult;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves shell commands to {@code atrium client} over a Unix domain socket at
 * {@code DATA/run/atrium.sock}. The folder is created owner-only (0700) before the socket is
 * bound, and the socket is made 0600 before it takes its name, so only the server's user can connect.
 *
 * <p>Protocol: the client sends one command line (UTF-8, ending with a newline); the server answers
 * with the command's output, then a last line {@code \u0000EXIT n} with the exit status, and closes.
 */
public final class ControlServer implements AutoCloseable {
    static final String EXIT_MARK = "\u0000EXIT ";
    private static final Logger LOG = Logger.getLogger("io.atrium.runtime");
    private static final int MAX_COMMAND = 64 * 1024;

    private final Path socket;
    private final ServerSocketChannel server;
    private final ExecutorService workers;
    private final Function<String, CommandResult> executor;

    private ControlServer(Path socket, ServerSocketChannel server, Function<String, CommandResult> executor) {
        this.socket = socket;
        this.server = server;
        this.executor = executor;
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "atrium-control");
            t.setDaemon(true);
            return t;
        });
    }

    /** @return the socket's path for a data folder */
    public static Path socketPath(Path dataDir) {
        return dataDir.resolve("run").resolve("atrium.sock");
    }

    /**
     * Binds the socket and starts accepting clients.
     *
     * @param dataDir  the server's data folder, which it holds the lock of
     * @param executor runs one command line
     */
    public static ControlServer start(Path dataDir, Function<String, CommandResult> executor) {
        Path socket = socketPath(dataDir);
        try {
            Path dir = socket.getParent();
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Files.deleteIfExists(socket); // left by a server that was killed: we hold the data folder's lock
            // Bound under a temporary name and renamed once it is 0600, so the socket never appears
            // under its real name with wider permissions.
            Path bound = dir.resolve("atrium.sock.new");
            Files.deleteIfExists(bound);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, socket, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            ControlServer control = new ControlServer(socket, server, executor);
            Thread acceptor = new Thread(control::acceptLoop, "atrium-control-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            return control;
        } catch (IOException | UnsupportedOperationException e) {
            throw new AtriumException("cannot open the control socket " + socket + ": " + e.getMessage(), e);
        }
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                workers.execute(() -> serve(client));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "control socket: " + e.getMessage());
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            String command = readLine(client);
            CommandResult result = command == null
                    ? new CommandResult(2, "Error: the command was longer than " + MAX_COMMAND + " bytes\n")
                    : executor.apply(command);
            String answer = result.output() + (result.output().endsWith("\n") || result.output().isEmpty() ? "" : "\n")
                    + EXIT_MARK + result.status() + "\n";
            ByteBuffer buffer = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                client.write(buffer);
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "control client went away: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "control command failed", e);
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        var in = Channels.newInputStream(client);
        var bytes = new java.io.ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
            if (bytes.size() >= MAX_COMMAND) {
                return null;
            }
            bytes.write(b);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the control socket: " + e.getMessage());
        }
        workers.shutdownNow();
    }
}
