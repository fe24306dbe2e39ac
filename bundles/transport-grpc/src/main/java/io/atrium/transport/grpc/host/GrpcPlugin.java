package io.atrium.transport.grpc.host;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import io.atrium.api.PluginException;
import io.atrium.api.PluginRejectedException;
import io.atrium.transport.grpc.manifest.GrpcManifest;
import io.atrium.transport.grpc.mapping.RpcMapping;
import io.atrium.transport.grpc.mapping.ServiceMapping;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.kit.Restart;
import io.atrium.transport.support.kit.Supervisor;
import io.atrium.transport.support.launch.Launcher;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One gRPC plugin on the kit's {@link Supervisor}: an instance is a go-plugin plugin's process connected
 * ({@link GrpcInstance}), with the contract mapped onto its service from the descriptor set as it is at
 * that launch; a call is the mapped rpc. A dead instance is restarted by the manifest's {@code restart}
 * policy.
 */
public final class GrpcPlugin extends Supervisor<GrpcManifest, GrpcPlugin.Instance> implements GrpcInstance.Owner {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "grpc";

    /** How long a health check waits for the plugin's answer. */
    static final long HEALTH_TIMEOUT_MS = 2_000;

    private final java.util.function.Supplier<Launcher> launcher;
    private final Channels channels;
    private final java.util.concurrent.ScheduledExecutorService timers;
    /** Guarded by this. */
    private java.util.concurrent.ScheduledFuture<?> health;

    /** A running plugin and the mapping it was opened with. */
    record Instance(GrpcInstance process, ServiceMapping mapping) implements io.atrium.transport.support.kit.KitInstance {
        @Override
        public java.util.List<io.atrium.api.Capability> capabilities() {
            return process.capabilities();
        }

        @Override
        public void close() {
            process.close();
        }

        @Override
        public String died() {
            return process.died();
        }

        @Override
        public String label() {
            return process.label();
        }
    }

    public GrpcPlugin(ManifestTransport<GrpcManifest, GrpcPlugin> transport, java.util.concurrent.ScheduledExecutorService timers,
                      java.util.function.Supplier<Launcher> launcher, Channels channels, GrpcManifest manifest, Class<?> contract) {
        super(transport, manifest, contract);
        this.timers = timers;
        this.launcher = launcher;
        this.channels = channels;
    }

    /** A running plugin's health service is asked every {@code limits.healthIntervalMs}: one that does not answer is killed, then restarted. */
    @Override
    protected void opened(Instance instance) {
        long every = manifest().limits().healthIntervalMs();
        synchronized (this) { // the kit's lock: a stop either comes after this, and cancels the timer, or before, and none starts
            if (health != null || every == 0 || instance() != instance) {
                return;
            }
            health = timers.scheduleWithFixedDelay(() -> {
                Instance i = instance();
                if (i != null) {
                    background(() -> i.process().checkHealth(HEALTH_TIMEOUT_MS)); // a call that may wait: not on the timer thread
                }
            }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected synchronized void stopped() {
        if (health != null) {
            health.cancel(false);
            health = null;
        }
    }

    /** @return the contract mapped onto the manifest's service, as its descriptor set is now */
    public static ServiceMapping mapping(GrpcManifest m, Class<?> contract) {
        Descriptors.ServiceDescriptor service = ServiceMapping.service(m.descriptorSet(), m.service());
        ServiceMapping mapping = ServiceMapping.of(service, Functions.isInvocable(contract) ? null : contract, m.methods());
        if (m.handshake().autoMtls() && !mapping.withCallbacks().isEmpty()) {
            // go-plugin's broker dials callbacks with the plugin's server-side TLS settings, which fail until go-plugin 1.4.4
            throw new IllegalArgumentException("handshake.autoMTLS: " + mapping.withCallbacks() + " pass callbacks, which are served in "
                    + "plain text only (on a socket in the plugin's private folder); leave autoMTLS off for this contract");
        }
        return mapping;
    }

    @Override
    protected Instance open(GrpcManifest m) {
        ServiceMapping mapping;
        try {
            mapping = mapping(m, contract());
        } catch (IllegalArgumentException e) {
            throw new PluginRejectedException(m.name(), e.getMessage());
        }
        return new Instance(GrpcInstance.launch(launcher.get(), channels, m, log, this), mapping);
    }

    @Override
    protected Restart restart(GrpcManifest m) {
        return m.restart();
    }

    @Override
    public void died(GrpcInstance process, String reason) {
        Instance i = instance();
        if (i != null && i.process() == process) {
            crashed(i, reason);
        }
    }

    @Override
    protected Object call(Instance instance, GrpcManifest m, Method method, Object[] args, long timeoutMs) {
        RpcMapping r = instance.mapping().of(method);
        if (r == null) {
            throw new PluginException(m.name(), method.getName() + " has no rpc", null);
        }
        if (!r.hasCallbacks()) {
            return r.result(instance.process().call(r.rpc(), request(m, method, r, args, null), timeoutMs));
        }
        try (GrpcInstance.Callbacks served = instance.process().callbacks()) { // served while the call runs, stopped when it ends
            return r.result(instance.process().call(r.rpc(), request(m, method, r, args, served), timeoutMs));
        }
    }

    private static DynamicMessage request(GrpcManifest m, Method method, RpcMapping r, Object[] args, RpcMapping.Broker broker) {
        try {
            return broker == null ? r.request(args) : r.request(args, broker);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new PluginRejectedException(m.name(), method.getName() + ": " + e.getMessage());
        }
    }

    /** An rpc named by the caller (case aside), its input and output in protobuf's JSON mapping. */
    @Override
    protected String callFunction(Instance instance, GrpcManifest m, String function, String input, long timeoutMs) {
        Descriptors.MethodDescriptor rpc = instance.mapping().rpc(function);
        if (rpc == null || rpc.isClientStreaming() || rpc.isServerStreaming()) {
            throw new PluginRejectedException(m.name(), m.service() + " has no unary rpc " + function + " (it has " + instance.mapping().rpcNames() + ")");
        }
        DynamicMessage request;
        try {
            request = RpcMapping.request(rpc, input);
        } catch (IllegalArgumentException e) {
            throw new PluginRejectedException(m.name(), function + ": " + e.getMessage());
        }
        return RpcMapping.json(instance.process().call(rpc, request, timeoutMs));
    }

    @Override
    protected Collection<String> functions(GrpcManifest m, Instance instance) {
        return instance == null ? null : instance.mapping().rpcNames();
    }

    @Override
    protected Map<String, String> details(GrpcManifest m, Instance instance) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("command", String.join(" ", m.command()));
        d.put("service", m.service() + " (" + m.folder().relativize(m.descriptorSet()) + ")");
        if (instance != null) {
            d.put("pid", Long.toString(instance.process().pid()));
            var h = instance.process().handshake();
            d.put("protocol", "go-plugin gRPC, application version " + h.appVersion() + ", " + h.network() + " " + h.address());
            d.put("tls", h.certificate() == null ? "none (plain text on a socket only the server's user can reach)"
                    : "mutual (AutoMTLS: a certificate for this launch each way)");
        }
        d.put("restarts", Integer.toString(restarts()));
        d.put("memory cap", m.limits().memoryMb() == 0 ? "none" : m.limits().memoryMb() + " MiB");
        d.put("cpu cap", m.limits().cpuSeconds() == 0 ? "none" : m.limits().cpuSeconds() + " s");
        return d;
    }
}
