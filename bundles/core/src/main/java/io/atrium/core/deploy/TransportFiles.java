package io.atrium.core.deploy;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginState;
import io.atrium.core.registry.DeclaredTransports;
import io.atrium.core.registry.PluginCatalog;
import io.atrium.core.trust.CapabilityRules;
import io.atrium.spi.ArtifactHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A transport's {@link ArtifactHandler} service as a handler of the plugin folder. The service is got
 * only when a file it claims is deployed, so a transport with no files in the folder is never activated.
 */
final class TransportFiles implements FileHandler {
    private final BundleContext context;
    private final ServiceReference<ArtifactHandler> ref;
    private final List<String> suffixes;
    private final FolderScanner scanner;
    private final PluginCatalog catalog;
    /** The capability policy, as the transports ask it: a plugin it refuses makes its file's row say refused. */
    private final CapabilityRules capabilities;
    /** Got from the registry the first time it is needed; on the scanner's thread. */
    private ArtifactHandler handler;
    /** Its service was given back: it is going, and is not got again (a late file would hold it past its unregistration). */
    private boolean released;
    /** Its kind, known once its service was got: a file's row and log lines name it after the service went. */
    private volatile String kind;

    TransportFiles(BundleContext context, ServiceReference<ArtifactHandler> ref, FolderScanner scanner, PluginCatalog catalog,
                   CapabilityRules capabilities) {
        this.context = context;
        this.ref = ref;
        this.suffixes = DeclaredTransports.suffixes(ref.getProperty(ArtifactHandler.SUFFIX));
        this.scanner = scanner;
        this.catalog = catalog;
        this.capabilities = capabilities;
    }

    /** Gives its service back. @return its kind, or null when its service was never got (no file of its kind came) */
    synchronized String release() {
        released = true;
        if (handler == null) {
            return null;
        }
        handler = null;
        context.ungetService(ref);
        return kind;
    }

    private synchronized ArtifactHandler handler() {
        if (handler == null) {
            handler = released ? null : context.getService(ref);
            if (handler == null) {
                throw new IllegalArgumentException("cannot be deployed: its transport has just stopped");
            }
            kind = handler.kind();
        }
        return handler;
    }

    @Override
    public List<String> suffixes() {
        return suffixes;
    }

    @Override
    public String kind() {
        String known = kind;
        return known != null ? known : handler().kind();
    }

    @Override
    public void deploy(FolderEntry e, Path file, byte[] bytes, Batch batch) {
        ArtifactHandler.Deployed d;
        try {
            d = handler().deploy(file, bytes);
        } catch (ArtifactHandler.Refused r) {
            scanner.watch(e, r.watched()); // a fixed module or library deploys it again
            throw r;
        }
        e.plugin = d.plugin();
        e.target = d.target();
        scanner.watch(e, d.watched());
        e.active(d.target());
    }

    @Override
    public void removed(FolderEntry e, Batch batch) {
        try {
            handler().undeploy(scanner.dir().resolve(e.name));
        } catch (RuntimeException ex) {
            FolderEntry.log(Level.WARNING, "plugin file " + e.name + " was removed, but its " + e.kind + " plugin did not stop cleanly: " + ex);
        }
    }

    /**
     * A transport's plugin that failed makes its file's row say so, with the reason as plugin:problems
     * gives it; one the capability policy refuses (the deploy took it, its launch or a changed policy did
     * not) is refused, as a file refused at its deploy is.
     */
    @Override
    public Deployment row(FolderEntry e) {
        boolean fileSpeaks = e.state == DeployState.WAITING || e.state == DeployState.REFUSED || e.state == DeployState.IGNORED;
        Failure f = fileSpeaks ? null : failure(e.plugin);
        return f == null ? new Deployment(e.name, e.kind, e.target, e.state, e.bundleId, e.detail)
                : new Deployment(e.name, e.kind, e.target, f.refused() ? DeployState.REFUSED : DeployState.FAILED, e.bundleId, f.reason());
    }

    /** Why a plugin failed, by its transport's own word, and whether that is the capability policy's refusal. */
    private record Failure(String reason, boolean refused) {
    }

    /** @return why the plugin failed, or null when it did not */
    private Failure failure(String plugin) {
        // asked without waiting: the registry's lookups may wait out a swap, and its whole problem list
        // includes this folder's files (asked from here, a loop)
        var provider = catalog.providerOf(plugin);
        PluginDescriptor failed = provider.isEmpty() ? null : provider.get().plugins().stream()
                .filter(p -> p.name().equals(plugin) && p.state() == PluginState.FAILED).findFirst().orElse(null);
        if (failed == null) {
            return null;
        }
        String reason = provider.get().problems().stream().filter(pr -> pr.plugin().equals(plugin))
                .map(io.atrium.api.PluginProblem::reason).findFirst().orElse("failed");
        // the policy's verdict on what it declares now, which the transport was given: one that failed otherwise (it
        // crashed too often) and lacks a capability since is failed, for its crashes
        String lacking = capabilities.refusal(failed.contract(), failed.capabilities());
        return new Failure(reason, lacking != null && reason.contains(lacking));
    }

    /**
     * The files of a transport that has not come yet (it starts after the ready line, or was stopped):
     * never read as anything else, they wait for it.
     */
    record Awaited(List<String> suffixes, String kind) implements FileHandler {
        @Override
        public String waits() {
            return "waits for its transport (" + kind + ")";
        }

        @Override
        public void deploy(FolderEntry e, Path file, byte[] bytes, Batch batch) {
            throw new IllegalStateException("never read"); // waits() says so first
        }

        @Override
        public void removed(FolderEntry e, Batch batch) {
            // nothing was deployed
        }
    }
}
