package io.atrium.transport.grpc.host;

import io.atrium.transport.grpc.goplugin.Handshake;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC channels to the plugins, over one small Netty event loop for the whole transport. Netty's
 * epoll transport (a native library inside grpc-java's shaded jar) is what reaches a Unix socket from
 * Java 17; it is loaded at the first plugin's launch, not when the transport starts.
 */
public final class Channels implements AutoCloseable {
    /**
     * Netty's bootstrap warns at each channel to a Unix socket that TCP's keep-alive option does not apply
     * (grpc-java sets it on every channel): a line per launch that says nothing. This transport's private copy of Netty only.
     */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap");

    static {
        QUIET.setLevel(java.util.logging.Level.SEVERE);
    }

    /** The most calls a plugin has running at once on one connection to a callback (more wait for one to end). */
    static final int CALLBACK_CALLS = 16;

    /** Guarded by this: made at the first channel. */
    private EventLoopGroup group;
    private boolean closed;

    private synchronized EventLoopGroup group() {
        if (closed) {
            throw new IllegalStateException("the gRPC transport is stopping");
        }
        if (group == null) {
            if (!Epoll.isAvailable()) {
                Throwable why = Epoll.unavailabilityCause();
                throw new IllegalStateException("Netty's epoll transport, which reaches the plugins' Unix sockets, cannot load here: "
                        + (why == null ? "unknown reason" : why.getMessage()));
            }
            group = new EpollEventLoopGroup(1, r -> {
                Thread t = new Thread(r, "atrium-grpc-io");
                t.setDaemon(true);
                return t;
            });
        }
        return group;
    }

    /**
     * @param h               the plugin's handshake: where it listens
     * @param maxMessageBytes the largest message accepted from it
     * @param tls             mutual TLS (AutoMTLS), or null for plain text (its socket is in a folder only the server's user can enter)
     * @return a channel to the plugin
     * @throws IllegalArgumentException when it listens somewhere the host will not go (a TCP address that is not this machine's loopback)
     */
    public ManagedChannel open(Handshake h, int maxMessageBytes, io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls) {
        NettyChannelBuilder b;
        if (h.network().equals("unix")) {
            b = NettyChannelBuilder.forAddress(new DomainSocketAddress(h.address())).channelType(EpollDomainSocketChannel.class);
        } else {
            b = NettyChannelBuilder.forAddress(loopback(h.address())).channelType(EpollSocketChannel.class);
        }
        if (tls == null) {
            b.usePlaintext();
        } else {
            b.sslContext(tls); // the name go-plugin's certificates carry, whatever the address
        }
        return b.eventLoopGroup(group()).overrideAuthority("localhost").maxInboundMessageSize(maxMessageBytes)
                .maxInboundMetadataSize(64 << 10).build();
    }

    /**
     * Serves a service on a new Unix socket, over the same event loop: a callback the host passes a plugin,
     * which the plugin dials through go-plugin's broker.
     *
     * @param socket          the socket's path, in a folder only the server's user can enter
     * @param maxMessageBytes the largest message accepted from the plugin
     * @param executor        where the service's calls run: the plugin's own, bounded, so that it cannot take the server's threads
     * @return the server, started
     */
    public io.grpc.Server serve(java.nio.file.Path socket, io.grpc.ServerServiceDefinition service, int maxMessageBytes,
                                java.util.concurrent.Executor executor) throws java.io.IOException {
        EventLoopGroup g = group();
        return io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(g).workerEventLoopGroup(g).maxInboundMessageSize(maxMessageBytes)
                .maxConcurrentCallsPerConnection(CALLBACK_CALLS).executor(executor)
                .addService(service).build().start();
    }

    private static InetSocketAddress loopback(String address) {
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("listens on tcp address '" + address + "', which has no port");
        }
        String host = address.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("listens on tcp address '" + address + "', whose port is not a number");
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(host.isEmpty() ? "127.0.0.1" : host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("listens on tcp address '" + address + "', whose host is unknown");
        }
        if (!ip.isLoopbackAddress() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("listens on tcp address '" + address + "': the host connects to this machine's loopback only");
        }
        return new InetSocketAddress(ip, port);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            group = null;
        }
    }
}
