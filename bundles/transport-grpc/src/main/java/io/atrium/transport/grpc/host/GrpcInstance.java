package io.atrium.transport.grpc.host;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import io.atrium.api.Capability;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginException;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.spi.CallTrace;
import io.atrium.transport.grpc.goplugin.GoPlugin;
import io.atrium.transport.grpc.goplugin.Handshake;
import io.atrium.transport.grpc.manifest.GrpcManifest;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.support.kit.KitInstance;
import io.atrium.transport.support.launch.ExitStatus;
import io.atrium.transport.support.launch.Launcher;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import com.google.protobuf.CodedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.stream.Collectors;

/**
 * One running go-plugin plugin: its process, launched as go-plugin's host launches it (the magic cookie
 * and the protocol versions in its environment; its own folder for the socket, which only the server's
 * user can enter), its handshake line read and checked, and a gRPC channel to the socket it named,
 * checked with go-plugin's health service. It dies when its process does; a stop asks it to shut down
 * ({@code GRPCController/Shutdown}), then kills it, and removes its socket.
 */
public final class GrpcInstance implements KitInstance {
    /** Told when the process ends by itself. */
    public interface Owner {
        void died(GrpcInstance instance, String reason);
    }

    /** How long a stop waits for the plugin to exit after its shutdown request (go-plugin's host waits as long). */
    static final long EXIT_WAIT_MS = 2_000;
    /** The longest line kept of what a plugin prints through GRPCStdio. */
    static final int MAX_PRINTED_LINE = 16 << 10;
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException();
            }
        }
    };
    private static final MethodDescriptor<byte[], byte[]> HEALTH = raw("grpc.health.v1.Health/Check");
    private static final MethodDescriptor<byte[], byte[]> SHUTDOWN = raw(GoPlugin.SHUTDOWN_METHOD);
    private static final MethodDescriptor<byte[], byte[]> STDIO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING).setFullMethodName(GoPlugin.STDIO_METHOD)
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    /** go-plugin's broker: the host sends on it where each callback it serves listens (ConnInfo), the plugin dials it by id. */
    private static final MethodDescriptor<byte[], byte[]> BROKER = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING).setFullMethodName(GoPlugin.BROKER_METHOD)
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

    private final GrpcManifest manifest;
    private final PluginLog log;
    private final Launcher.Launched launched;
    private final Process process;
    private final Path socketFolder;
    /** This launch's certificate, when the manifest asks for mutual TLS; else null. */
    private final AutoMtls tls;
    private final CompletableFuture<String> firstLine = new CompletableFuture<>();
    private final CompletableFuture<Void> stderrDone = new CompletableFuture<>();
    /** Done at the end of its stdout: it closes with the process, at once, where the exit status waits to be reaped. */
    private final CompletableFuture<Void> stdoutDone = new CompletableFuture<>();
    private final Map<Descriptors.MethodDescriptor, MethodDescriptor<DynamicMessage, DynamicMessage>> methods = new ConcurrentHashMap<>();
    private volatile ManagedChannel channel;
    private final Channels channels;
    /** The broker's stream, opened at the first callback, and which one it is; guarded by this. */
    private StreamObserver<byte[]> broker;
    private int brokerStreams;
    private final java.util.concurrent.atomic.AtomicInteger brokerIds = new java.util.concurrent.atomic.AtomicInteger();
    /** Where the callbacks' calls run, made at the first callback: four threads of this plugin's, whatever it sends. */
    private java.util.concurrent.ThreadPoolExecutor callbackThreads; // guarded by this
    private volatile Channel calls;
    private volatile Handshake handshake;
    private volatile boolean closing;
    private volatile String died;
    /** Why the host killed it, when it did: what its death is reported as. */
    private volatile String killedBecause;
    private volatile String lastStderr;
    /** The first line on stderr: go-plugin's refusal of a wrong cookie ("This binary is a plugin…") is several. */
    private volatile String firstStderr;
    /** Whether it said on stderr that it could not get memory. */
    private volatile boolean outOfMemory;

    private GrpcInstance(GrpcManifest manifest, PluginLog log, Launcher.Launched launched, Path socketFolder, AutoMtls tls, Channels channels) {
        this.manifest = manifest;
        this.channels = channels;
        this.tls = tls;
        this.log = log;
        this.launched = launched;
        this.process = launched.process();
        this.socketFolder = socketFolder;
    }

    /**
     * Launches the plugin and connects to it.
     *
     * @return the instance, handshake read and health checked
     * @throws PluginRejectedException when its handshake is one this host refuses (net/rpc, versions, address)
     * @throws PluginCrashedException  when it cannot be started, or exits before it is connected
     * @throws PluginTimeoutException  when it writes no handshake line in time
     */
    public static GrpcInstance launch(Launcher launcher, Channels channels, GrpcManifest m, PluginLog log, Owner owner) {
        Path folder;
        try {
            folder = socketFolder(m.name());
        } catch (IOException e) {
            throw new PluginCrashedException(m.name(), "could not be started: no private folder for its socket: " + e.getMessage());
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put(m.handshake().cookieKey(), m.handshake().cookieValue());
        env.put(GoPlugin.PROTOCOL_VERSIONS_ENV, m.handshake().protocolVersions().stream().map(String::valueOf).collect(Collectors.joining(",")));
        env.put(GoPlugin.MIN_PORT_ENV, "10000");
        env.put(GoPlugin.MAX_PORT_ENV, "25000");
        env.put("TMPDIR", folder.toString()); // go-plugin makes its socket in TMPDIR: here, in a folder only the server's user can enter
        AutoMtls tls = null;
        if (m.handshake().autoMtls()) {
            tls = AutoMtls.generate(); // a certificate for this launch only, as go-plugin's host makes
            env.put(GoPlugin.CLIENT_CERT_ENV, tls.pem());
        }
        Launcher.Launched launched;
        try {
            launched = launcher.start(m, env);
        } catch (IOException | IllegalArgumentException e) {
            delete(folder);
            throw new PluginCrashedException(m.name(), "could not be started: " + e.getMessage());
        }
        GrpcInstance g = new GrpcInstance(m, log, launched, folder, tls, channels);
        g.readers();
        try {
            g.connect(channels);
        } catch (RuntimeException e) {
            g.closing = true;
            g.kill();
            throw e;
        }
        g.process.onExit().thenRun(() -> {
            if (!g.closing) {
                String why = g.deathReason();
                g.died = why;
                owner.died(g, why);
            }
        });
        return g;
    }

    private void readers() {
        Thread out = new Thread(this::readStdout, "atrium-grpc-" + manifest.name() + "-" + process.pid());
        Thread err = new Thread(this::readStderr, "atrium-grpc-" + manifest.name() + "-" + process.pid() + "-stderr");
        out.setDaemon(true);
        err.setDaemon(true);
        err.start();
        out.start();
    }

    private void connect(Channels channels) {
        String name = manifest.name();
        long timeout = manifest.limits().handshakeTimeoutMs();
        long start = System.nanoTime();
        String line;
        try {
            line = firstLine.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new PluginTimeoutException(name, "wrote no handshake line within " + timeout + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginUnavailableException(name, "launch interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (line == null) {
            try {
                process.waitFor(2, TimeUnit.SECONDS); // it closed stdout: it is exiting, and its status says why
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                stderrDone.get(500, TimeUnit.MILLISECONDS); // its last words, to say why
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // said what it said
            }
            String first = firstStderr;
            String why = process.isAlive() ? deathReason() : ExitStatus.describe(process.exitValue()) + underCap()
                    + (first == null ? "" : "; it said: '" + first.strip() + "'" + (first.equals(lastStderr) ? "" : " … '" + lastStderr.strip() + "'"));
            throw new PluginCrashedException(name, why + ", before its handshake");
        }
        Handshake h;
        try {
            h = Handshake.parse(line, manifest.handshake().protocolVersions());
            if (tls == null && h.certificate() != null) {
                throw new IllegalArgumentException("offers mutual TLS (a certificate in its handshake), which the manifest did not ask for "
                        + "(handshake.autoMTLS)");
            }
            if (tls != null && h.certificate() == null) {
                // go-plugin's host would go on in plain text: the manifest asked for TLS, so there is none of that here
                throw new IllegalArgumentException("answered handshake.autoMTLS with no certificate in its handshake: it does not do "
                        + "go-plugin's AutoMTLS (a plugin with its own TLSProvider, or one that ignores PLUGIN_CLIENT_CERT)");
            }
            if (h.network().equals("unix") && !Files.exists(Path.of(h.address()), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                // go-plugin listens before it writes its handshake: a socket missing now is a plugin that will not answer
                throw new IllegalArgumentException("named socket " + h.address() + " in its handshake, which does not exist");
            }
            channel = channels.open(h, manifest.limits().maxMessageBytes(), tls == null ? null : tls.client(h.certificate()));
        } catch (IllegalArgumentException refused) {
            throw new PluginRejectedException(name, refused.getMessage());
        }
        handshake = h;
        calls = ClientInterceptors.intercept(channel, new TraceContext());
        long left = Math.max(1_000, timeout - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        String health = health(left);
        if (health != null) {
            throw new PluginCrashedException(name, health);
        }
        stdio();
    }

    /**
     * Streams what the plugin prints (go-plugin 1.1 and later forward its stdout and stderr over
     * {@code GRPCStdio}; earlier plugins have no such service, which is fine). Asked once, at once: the
     * plugin holds its prints until someone reads them.
     */
    private void stdio() {
        Lines out = new Lines(log::printed);
        Lines err = new Lines(l -> {
            lastStderr = log.stderr(l);
        });
        ClientCalls.asyncServerStreamingCall(channel.newCall(STDIO, CallOptions.DEFAULT), new byte[0], new StreamObserver<>() {
            @Override
            public void onNext(byte[] message) {
                try {
                    // StdioData { Channel channel = 1 (STDOUT 1, STDERR 2); bytes data = 2; }
                    CodedInputStream in = CodedInputStream.newInstance(message);
                    int channel = 0;
                    byte[] data = new byte[0];
                    for (int tag; (tag = in.readTag()) != 0; ) {
                        switch (tag) {
                            case 0x08 -> channel = in.readEnum();
                            case 0x12 -> data = in.readByteArray();
                            default -> in.skipField(tag);
                        }
                    }
                    (channel == 2 ? err : out).add(data);
                } catch (IOException malformed) {
                    log.host(Level.WARNING, "sent a GRPCStdio message that is not a StdioData: ignored");
                }
            }

            @Override
            public void onError(Throwable t) {
                out.flush();
                err.flush();
                Status s = Status.fromThrowable(t);
                if (s.getCode() == Status.Code.UNIMPLEMENTED) {
                    log.host(Level.FINE, "has no GRPCStdio service (go-plugin before 1.1): what it prints to stdout is not read");
                } else if (!closing && died == null && !connectionBroke(s)) {
                    log.host(Level.WARNING, "ended its GRPCStdio stream: " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription()));
                }
            }

            @Override
            public void onCompleted() {
                out.flush();
                err.flush();
            }
        });
    }

    /** Bytes as they come, cut into lines (a line longer than {@link #MAX_PRINTED_LINE} is cut there). */
    private static final class Lines {
        private final java.util.function.Consumer<String> sink;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Lines(java.util.function.Consumer<String> sink) {
            this.sink = sink;
        }

        synchronized void add(byte[] data) {
            for (byte b : data) {
                if (b == '\n' || line.size() >= MAX_PRINTED_LINE) {
                    flush();
                    if (b == '\n') {
                        continue;
                    }
                }
                line.write(b);
            }
        }

        synchronized void flush() {
            String l = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (!l.isBlank()) {
                sink.accept(l);
            }
        }
    }

    /** @return null when go-plugin's health service says SERVING for "plugin", else why not */
    private String health(long timeoutMs) {
        byte[] request = ("\n" + (char) GoPlugin.HEALTH_SERVICE.length() + GoPlugin.HEALTH_SERVICE).getBytes(StandardCharsets.ISO_8859_1);
        try {
            byte[] r = ClientCalls.blockingUnaryCall(channel, HEALTH, CallOptions.DEFAULT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS), request);
            // HealthCheckResponse { ServingStatus status = 1; }: SERVING is 1, an empty message UNKNOWN
            int status = r.length == 2 && r[0] == 0x08 ? r[1] : 0;
            return status == 1 ? null : "its health service says it is not serving (status " + status + ")";
        } catch (StatusRuntimeException e) {
            if (!process.isAlive()) {
                return deathReason() + ", as it was being connected";
            }
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                return "no answer to go-plugin's health check within " + timeoutMs + " ms";
            }
            return "did not answer go-plugin's health check at " + handshake.network() + " " + handshake.address() + ": "
                    + e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription());
        }
    }

    /**
     * Asks go-plugin's health service; a plugin that does not say SERVING in time is killed (its death
     * then restarts it, as a crash).
     */
    public void checkHealth(long timeoutMs) {
        if (closing || died != null || !process.isAlive()) {
            return;
        }
        String why = health(timeoutMs);
        if (why != null && !closing && process.isAlive()) {
            killedBecause = "stopped answering: " + why;
            launched.killAll();
        }
    }

    // ------------------------------------------------------------------ calls

    /**
     * @return the rpc's response
     * @throws PluginException (timed out, crashed, unavailable, or the plugin's own error) naming the plugin
     */
    public DynamicMessage call(Descriptors.MethodDescriptor rpc, DynamicMessage request, long timeoutMs) {
        String name = manifest.name();
        String d = died;
        if (d != null) { // before closing: a dead instance is closed too, and its calls failed for its death
            throw new PluginCrashedException(name, d);
        }
        if (closing) {
            throw new PluginUnavailableException(name, "was stopped");
        }
        MethodDescriptor<DynamicMessage, DynamicMessage> md = methods.computeIfAbsent(rpc, GrpcInstance::method);
        try {
            return ClientCalls.blockingUnaryCall(calls, md, CallOptions.DEFAULT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS), request);
        } catch (StatusRuntimeException e) {
            throw failure(rpc.getName(), e.getStatus(), timeoutMs);
        }
    }

    /**
     * The callbacks one call passes the plugin, served through go-plugin's broker while the call runs: each on a
     * socket of its own in the plugin's private folder, its id and address sent on the broker's stream before the
     * call goes out (the plugin's {@code Dial(id)} waits for them), all stopped when the call ends.
     */
    public final class Callbacks implements io.atrium.transport.grpc.mapping.RpcMapping.Broker, AutoCloseable {
        private final List<io.grpc.Server> servers = new java.util.ArrayList<>();
        private final List<Path> sockets = new java.util.ArrayList<>();

        @Override
        public int serve(io.atrium.transport.grpc.mapping.CallbackMapping callback, Object implementation) {
            int id = brokerIds.incrementAndGet();
            Path socket = socketFolder.resolve("callback-" + id);
            io.grpc.Server server;
            try {
                server = channels.serve(socket, definition(callback, implementation), manifest.limits().maxMessageBytes(), callbackThreads());
            } catch (IOException | RuntimeException e) {
                throw new PluginUnavailableException(manifest.name(), "cannot serve its callback " + callback.type().getSimpleName() + ": " + e.getMessage());
            }
            servers.add(server);
            sockets.add(socket);
            sendConnInfo(id, socket);
            return id;
        }

        @Override
        public void close() {
            servers.forEach(io.grpc.Server::shutdownNow);
            for (Path s : sockets) {
                try {
                    Files.deleteIfExists(s);
                } catch (IOException ignored) {
                    // the folder goes with the instance
                }
            }
        }
    }

    private synchronized java.util.concurrent.Executor callbackThreads() {
        if (callbackThreads == null) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            callbackThreads = new java.util.concurrent.ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "atrium-grpc-" + manifest.name() + "-callback-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            callbackThreads.allowCoreThreadTimeOut(true);
        }
        return callbackThreads;
    }

    /** @return the callbacks of one call, to be closed when it ends */
    public Callbacks callbacks() {
        return new Callbacks();
    }

    /** The callback's service: each rpc calls the implementation's method; what it throws is the rpc's error, its message the plugin's to read. */
    private io.grpc.ServerServiceDefinition definition(io.atrium.transport.grpc.mapping.CallbackMapping callback, Object implementation) {
        io.grpc.ServerServiceDefinition.Builder b = io.grpc.ServerServiceDefinition.builder(callback.service().getFullName());
        for (Descriptors.MethodDescriptor rpc : callback.service().getMethods()) {
            b.addMethod(methods.computeIfAbsent(rpc, GrpcInstance::method), io.grpc.stub.ServerCalls.asyncUnaryCall((request, answer) -> {
                DynamicMessage response;
                try {
                    response = callback.invoke(implementation, rpc, request);
                } catch (RuntimeException e) {
                    log.host(Level.FINE, "its callback " + callback.type().getSimpleName() + "." + rpc.getName() + " failed: " + e);
                    answer.onError(Status.UNKNOWN.withDescription(callback.type().getSimpleName() + "." + rpc.getName() + " failed: "
                            + e.getMessage()).asRuntimeException());
                    return;
                }
                answer.onNext(response);
                answer.onCompleted();
            }));
        }
        return b.build();
    }

    /** Sends a callback's ConnInfo ({@code service_id}, {@code network}, {@code address}) on the broker's stream, opened at the first. */
    private synchronized void sendConnInfo(int id, Path socket) {
        if (broker == null) {
            int stream = ++brokerStreams;
            broker = ClientCalls.asyncBidiStreamingCall(channel.newCall(BROKER, CallOptions.DEFAULT), new StreamObserver<>() {
                @Override
                public void onNext(byte[] offered) {
                    // a service the plugin offers the host (its own AcceptAndServe): the host dials none
                    log.host(Level.FINE, "offered a service through go-plugin's broker, which the host does not dial");
                }

                @Override
                public void onError(Throwable t) {
                    brokerEnded(stream);
                }

                @Override
                public void onCompleted() {
                    brokerEnded(stream);
                }
            });
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
            out.writeUInt32(1, id);
            out.writeString(2, "unix");
            out.writeString(3, socket.toString());
            out.flush();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        broker.onNext(bytes.toByteArray());
    }

    /** The broker's stream ended (the plugin closed it, or died): the next callback opens another. */
    private synchronized void brokerEnded(int stream) {
        if (stream == brokerStreams) {
            broker = null;
        }
    }

    /**
     * Whether a call failed because the connection did, not for the plugin's answer: a status the plugin sends has
     * no cause, one grpc-java makes of a broken connection has one. A write onto a connection the plugin's death
     * has just closed is {@code UNKNOWN "channel closed"} (a ClosedChannelException), not {@code UNAVAILABLE}.
     */
    static boolean connectionBroke(Status s) {
        return s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.CANCELLED
                || s.getCode() != Status.Code.DEADLINE_EXCEEDED && s.getCause() instanceof IOException;
    }

    private PluginException failure(String rpc, Status s, long timeoutMs) {
        String name = manifest.name();
        String desc = s.getDescription() == null ? "" : ": " + s.getDescription();
        if (connectionBroke(s)) {
            String d = died;
            if (d != null) {
                return new PluginCrashedException(name, d);
            }
            if (closing) {
                return new PluginUnavailableException(name, "was stopped");
            }
            // the connection broke: a process that died closed its stdout with it (its exit status comes
            // later, reaped by the launcher, and goes to the log and plugin:info; the caller need not wait for it)
            try {
                stdoutDone.get(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException alive) {
                // its stdout is open: it lives, or something it started holds its stdout
            }
            if (stdoutDone.isDone() || !process.isAlive()) {
                return new PluginCrashedException(name, deathReason());
            }
            return new PluginUnavailableException(name, rpc + " is unavailable" + desc);
        }
        switch (s.getCode()) {
            case DEADLINE_EXCEEDED:
                return new PluginTimeoutException(name, rpc + " did not answer within " + timeoutMs + " ms");
            case RESOURCE_EXHAUSTED:
                return new PluginException(name, rpc + " failed: " + s.getCode() + desc
                        + " (the host takes messages up to limits.maxMessageBytes, " + manifest.limits().maxMessageBytes() + " bytes)", null);
            default:
                return new PluginException(name, rpc + " failed: " + s.getCode() + desc, null);
        }
    }

    private static MethodDescriptor<DynamicMessage, DynamicMessage> method(Descriptors.MethodDescriptor rpc) {
        return MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(rpc.getService().getFullName(), rpc.getName()))
                .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(rpc.getInputType())))
                .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(rpc.getOutputType())))
                .build();
    }

    private static MethodDescriptor<byte[], byte[]> raw(String fullName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullName)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    /** Hands the call's W3C trace context to the plugin as gRPC metadata, as its own spans expect it. */
    private static final class TraceContext implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            String parent = CallTrace.traceparent();
            String state = CallTrace.tracestate();
            ClientCall<Q, R> call = next.newCall(method, options);
            if (parent == null) {
                return call;
            }
            return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    headers.put(TRACEPARENT, parent);
                    if (state != null) {
                        headers.put(TRACESTATE, state);
                    }
                    super.start(listener, headers);
                }
            };
        }
    }

    // ------------------------------------------------------------------ the process

    private void readStdout() {
        InputStream in = new java.io.BufferedInputStream(process.getInputStream());
        try {
            String first = line(in, true); // a first line too long is judged at its limit: it is not a handshake
            firstLine.complete(first);
            if (first == null) {
                return;
            }
            for (String l; (l = line(in, false)) != null; ) {
                if (!l.isBlank()) {
                    log.strayStdout(l);
                }
            }
        } catch (IOException e) {
            firstLine.complete(null);
        } finally {
            stdoutDone.complete(null);
        }
    }

    private void readStderr() {
        InputStream in = new java.io.BufferedInputStream(process.getErrorStream());
        try {
            for (String l; (l = line(in, false)) != null; ) {
                if (!l.isBlank()) {
                    String logged = log.stderr(l); // hclog's JSON as the text it logged
                    if (firstStderr == null) {
                        firstStderr = logged;
                    }
                    lastStderr = logged;
                    if (!outOfMemory && ExitStatus.outOfMemory(logged)) {
                        outOfMemory = true; // Go says so first, then prints its stacks
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            stderrDone.complete(null);
        }
    }

    /**
     * @param stopAtLimit end the line at {@link Handshake#MAX_LINE} bytes rather than skip to its end
     * @return the next line (at most {@link Handshake#MAX_LINE} bytes kept of it), or null at the end of the stream
     */
    private static String line(InputStream in, boolean stopAtLimit) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        boolean any = false;
        while ((c = in.read()) >= 0) {
            any = true;
            if (c == '\n') {
                break;
            }
            if (b.size() < Handshake.MAX_LINE) {
                b.write(c);
            } else if (stopAtLimit) {
                break;
            }
        }
        return any ? b.toString(StandardCharsets.UTF_8) : null;
    }

    private String deathReason() {
        if (killedBecause != null) {
            return killedBecause + " (killed)";
        }
        if (process.isAlive()) {
            return "closed its stdout; its exit status follows in the log and plugin:info";
        }
        String why = ExitStatus.describe(process.exitValue()) + underCap();
        String last = lastStderr;
        return last == null ? why : why + "; last stderr line: '" + last.strip() + "'";
    }

    private String underCap() {
        long cap = manifest.limits().memoryMb();
        return cap > 0 && outOfMemory ? ExitStatus.underCap(cap) : "";
    }

    // ------------------------------------------------------------------ the kit's instance

    @Override
    public List<Capability> capabilities() {
        return manifest.capabilities(); // go-plugin's handshake declares none: the manifest's are judged
    }

    @Override
    public String died() {
        return died;
    }

    @Override
    public String label() {
        return " (pid " + process.pid() + ")";
    }

    /** @return the operating system's process id */
    public long pid() {
        return process.pid();
    }

    /** @return what its handshake said */
    public Handshake handshake() {
        return handshake;
    }

    /** Asks the plugin to shut down, as go-plugin's host does, then kills what is left, and removes its socket. */
    @Override
    public void close() {
        closing = true;
        ManagedChannel c = channel;
        if (c != null && process.isAlive()) {
            try {
                ClientCalls.blockingUnaryCall(c, SHUTDOWN, CallOptions.DEFAULT.withDeadlineAfter(EXIT_WAIT_MS, TimeUnit.MILLISECONDS), new byte[0]);
            } catch (StatusRuntimeException expected) {
                // it stops its server at once: the call itself usually fails as the connection closes
            }
        }
        try {
            if (!process.waitFor(EXIT_WAIT_MS, TimeUnit.MILLISECONDS)) {
                log.host(Level.WARNING, "did not exit within " + EXIT_WAIT_MS + " ms of its shutdown request: killed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
    }

    private void kill() {
        launched.killAll();
        synchronized (this) {
            if (callbackThreads != null) {
                callbackThreads.shutdownNow();
            }
        }
        ManagedChannel c = channel;
        if (c != null) {
            c.shutdownNow();
        }
        delete(socketFolder);
    }

    /**
     * A folder only the server's user can enter, for the plugin's socket: in a memory file system where
     * there is one ($XDG_RUNTIME_DIR, /dev/shm), with a short path (a Unix socket's path is at most 107 bytes).
     */
    private static Path socketFolder(String plugin) throws IOException {
        Path base = null;
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && Files.isDirectory(Path.of(runtime)) && Files.isWritable(Path.of(runtime))) {
            base = Path.of(runtime);
        } else if (Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm"))) {
            base = Path.of("/dev/shm");
        } else {
            base = Path.of(System.getProperty("java.io.tmpdir"));
        }
        return Files.createTempDirectory(base, "atrium-grpc-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static void delete(Path folder) {
        try (var files = Files.list(folder)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        } catch (IOException ignored) {
            // gone already
        }
        try {
            Files.deleteIfExists(folder);
        } catch (IOException ignored) {
            // something the plugin left that is not a file: the folder stays, owner-only
        }
    }
}
