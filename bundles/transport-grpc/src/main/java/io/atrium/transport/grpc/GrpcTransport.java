package io.atrium.transport.grpc;

import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.spi.TransportTrust;
import io.atrium.transport.grpc.host.Channels;
import io.atrium.transport.grpc.host.GrpcPlugin;
import io.atrium.transport.grpc.manifest.GrpcManifest;
import io.atrium.transport.support.Contracts;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.launch.Launcher;
import io.atrium.transport.support.launch.OrphanGuard;
import io.atrium.transport.support.launch.Program;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Deploys {@code NAME.grpc.json} manifests from the plugin folder as gRPC plugins (hashicorp/go-plugin's,
 * unmodified), on the transport kit ({@link ManifestTransport}): what it adds is the launch as go-plugin's
 * host does it (through the same launcher as process plugins: caps, the orphan guard, verified copies),
 * the gRPC channel, and the contract mapped onto the plugin's protobuf service, checked at deploy.
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class}, property = ArtifactHandler.SUFFIX + "=" + GrpcManifest.SUFFIX)
public final class GrpcTransport extends ManifestTransport<GrpcManifest, GrpcPlugin> {
    /** Guarded by this: made at the first launch (its orphan guard is a process), not when the server starts. */
    private Launcher launcher;
    private OrphanGuard guard;
    private boolean stopping;
    private final Channels channels = new Channels();

    /** Where installs, updates, crashes and restarts are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Activate
    public GrpcTransport(BundleContext context, @Reference(bind = "trustChanged", updated = "trustChanged") TransportTrust trust) {
        super(context, GrpcPlugin.TRANSPORT_ID, trust, List.of());
    }

    /** @return the launcher, made at the first call */
    private synchronized Launcher launcher() {
        if (stopping) {
            throw new IllegalStateException("the gRPC transport is stopping");
        }
        if (launcher == null) {
            guard = OrphanGuard.start();
            launcher = new Launcher(Map.of(), context.getDataFile("verified").toPath(), guard);
        }
        return launcher;
    }

    @Deactivate
    void deactivate() {
        close(); // the plugins' shutdowns
        channels.close();
        synchronized (this) {
            stopping = true;
            if (launcher != null) {
                launcher.close(); // after them: what still runs ends with the native launcher
                guard.close();
            }
        }
    }

    void trustChanged(TransportTrust changed) {
        trustChanged();
    }

    /** Each request carries the call's {@code traceparent} to the plugin. */
    @Override
    protected boolean carriesTraceContext() {
        return true;
    }

    @Override
    protected PluginLifecycle lifecycle() {
        return lifecycle;
    }

    @Override
    protected GrpcManifest parse(Path file, byte[] content) {
        return GrpcManifest.parse(file, content);
    }

    @Override
    protected String unpinned() {
        return "pins none of its files";
    }

    @Override
    protected void checkTrust(ManifestPolicy policy, GrpcManifest m) {
        policy.checkRunsPinned(Program.unpinned(m));
    }

    /**
     * What the command runs must exist, be executable and match its pins; the descriptor set must hold the
     * service, and the contract map onto it.
     */
    @Override
    protected void check(ManifestPolicy policy, GrpcManifest m) {
        Launcher.checkRunnable(policy, m, List.of(m.descriptorSet()));
        GrpcPlugin.mapping(m, Contracts.load(context.getBundle(), m.contract(), m.contractVersion()));
    }

    @Override
    protected GrpcPlugin create(GrpcManifest m, Class<?> contract) {
        return new GrpcPlugin(this, timers(), this::launcher, channels, m, contract);
    }

    @Override
    protected void removed(GrpcPlugin p) {
        Launcher l;
        synchronized (this) {
            l = launcher;
        }
        if (l != null) {
            l.discardCopies(p.name());
        }
    }
}
