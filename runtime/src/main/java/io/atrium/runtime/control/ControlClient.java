package io.atrium.runtime.control;

import io.atrium.runtime.AtriumException;
import io.atrium.runtime.CommandResult;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs a command on the server that holds a data folder, through its {@link ControlServer}. */
public final class ControlClient {
    private ControlClient() {
    }

    /**
     * @param dataDir     the running server's data folder
     * @param commandLine the command
     * @return the server's answer
     * @throws AtriumException when no server is running there
     */
    public static CommandResult execute(Path dataDir, String commandLine) {
        Path socket = ControlServer.socketPath(dataDir);
        try {
            Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.AccessDeniedException e) {
            throw denied(dataDir, socket);
        } catch (IOException e) {
            throw new AtriumException("no Atrium server is running on data folder " + dataDir + " (no " + socket + ")");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer request = ByteBuffer.wrap((commandLine.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining()) {
                channel.write(request);
            }
            String answer = new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
            int mark = answer.lastIndexOf(ControlServer.EXIT_MARK);
            if (mark < 0) {
                throw new AtriumException("the server on " + dataDir + " closed the connection before answering");
            }
            int status = Integer.parseInt(answer.substring(mark + ControlServer.EXIT_MARK.length()).strip());
            return new CommandResult(status, answer.substring(0, mark));
        } catch (java.net.ConnectException e) {
            throw new AtriumException("no Atrium server is running on data folder " + dataDir + " (its socket refuses connections)");
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("Permission denied")) {
                throw denied(dataDir, socket);
            }
            throw new AtriumException("cannot talk to the server on " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** Only the server's user may use its socket: say so, rather than that no server runs. */
    private static AtriumException denied(Path dataDir, Path socket) {
        String owner;
        try {
            owner = " (it belongs to " + Files.getOwner(dataDir).getName() + ")";
        } catch (IOException | UnsupportedOperationException e) {
            owner = "";
        }
        return new AtriumException("permission denied: only the user the server runs as may use its control socket " + socket
                + owner + "; run 'atrium client' as that user");
    }
}
