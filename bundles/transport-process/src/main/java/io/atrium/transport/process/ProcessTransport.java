package io.atrium.transport.process;

import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.spi.TransportTrust;
import io.atrium.transport.process.host.SupervisedPlugin;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.process.protocol.Protocol;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.Periodic;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.launch.Launcher;
import io.atrium.transport.support.launch.OrphanGuard;
import io.atrium.transport.support.launch.Program;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Deploys {@code NAME.plugin.json} manifests from the plugin folder as process plugins, on the transport
 * kit ({@link ManifestTransport}): what it adds is the launcher, the supervisor of each plugin
 * ({@link SupervisedPlugin}) and the checks that what a manifest runs exists and is pinned. The capabilities
 * a plugin declares in its handshake are judged at each launch by the core's capability policy
 * (configuration {@code io.atrium.capabilities}, which the core alone reads), asked through {@link TransportTrust}.
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class}, property = ArtifactHandler.SUFFIX + "=" + PluginManifest.SUFFIX)
public final class ProcessTransport extends ManifestTransport<PluginManifest, SupervisedPlugin> {
    /** Framework property with the distribution's folder (io.atrium.runtime.launcher.Main sets it); plugins get it as ATRIUM_HOME. */
    static final String HOME_PROPERTY = "atrium.home";
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.process");

    private final Launcher launcher;
    /** Kills the plugins' processes when the server ends without stopping them (SIGKILL, a crash). */
    private final OrphanGuard guard;
    /** Plugins deployed while the framework was still starting: launched once it has (see {@link #started}). */
    private final List<SupervisedPlugin> deferred = new ArrayList<>();
    private boolean frameworkStarted;
    private final FrameworkListener startedListener = event -> {
        if (event.getType() == FrameworkEvent.STARTED) {
            launchDeferred();
        }
    };

    /** Where installs, updates, crashes and restarts are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Activate
    public ProcessTransport(BundleContext context, @Reference(bind = "trustChanged", updated = "trustChanged") TransportTrust trust) {
        super(context, SupervisedPlugin.TRANSPORT_ID, trust, List.of()); // no settings of its own
        String home = context.getProperty(HOME_PROPERTY);
        this.guard = OrphanGuard.start();
        this.launcher = new Launcher(home == null ? Map.of() : Map.of(Protocol.HOME_ENV, home), context.getDataFile("verified").toPath(), guard);
        // a plugin that stops reading its stdin would hold a writer for good: bounded here (PluginProcess.checkWrites)
        Periodic.every(timers(), 250, () -> deployed().forEach(SupervisedPlugin::checkWrites),
                e -> LOG.log(Level.WARNING, "checking the plugins' stdin writes failed: " + e, e));
        context.addFrameworkListener(startedListener);
        if (context.getBundle(0).getState() == Bundle.ACTIVE) {
            launchDeferred();
        }
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(startedListener);
        close(); // waits a while for the processes' graceful shutdowns
        launcher.close(); // after them: the native launcher's spawner thread ends, and with it what still runs
        guard.close(); // and what those started
    }

    /** The core's trust or capability policy changed (bound, or its generation property updated): the plugins are judged again. */
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
    protected PluginManifest parse(Path file, byte[] content) {
        return PluginManifest.parse(file, content);
    }

    @Override
    protected String unpinned() {
        return "pins none of its files";
    }

    /** Beyond the manifest's own pins: what its command runs (an interpreter's script) must be pinned too. */
    @Override
    protected void checkTrust(ManifestPolicy policy, PluginManifest m) {
        policy.checkRunsPinned(Program.unpinned(m));
    }

    /** What the command runs must exist, be executable and match its pins, and be judged as the folder's files are. */
    @Override
    protected void check(ManifestPolicy policy, PluginManifest m) {
        Launcher.checkRunnable(policy, m, List.of());
    }

    @Override
    protected SupervisedPlugin create(PluginManifest m, Class<?> contract) {
        return new SupervisedPlugin(this, timers(), launcher, m, contract);
    }

    /**
     * Plugins found while the server starts are launched once it has: a process's start-up (an
     * interpreter, a JVM) would otherwise compete for the CPUs with the server's own, and the server
     * would be ready later. They are listed as starting meanwhile.
     */
    @Override
    protected synchronized void started(SupervisedPlugin p) {
        if (frameworkStarted) {
            p.started();
        } else {
            deferred.add(p);
        }
    }

    private synchronized void launchDeferred() {
        frameworkStarted = true;
        deferred.forEach(SupervisedPlugin::started);
        deferred.clear();
    }

    @Override
    protected void removed(SupervisedPlugin p) {
        launcher.discardCopies(p.name());
    }
}
