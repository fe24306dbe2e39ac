package io.atrium.core.deploy;

import io.atrium.core.diagnostics.ProblemReport;
import io.atrium.core.facade.PluginFacades;
import io.atrium.core.guard.TrustGuard;
import io.atrium.core.registry.PluginCatalog;
import io.atrium.core.secrets.SecretStore;
import io.atrium.core.registry.DeclaredTransports;
import io.atrium.core.trust.CapabilityRules;
import io.atrium.core.trust.TrustPolicy;
import io.atrium.spi.ArtifactHandler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The plugin folder's deployer: makes the framework hold what the folder holds, live. It wires the
 * {@link FolderScanner} to its handlers (bundles, configurations, and each transport's {@link ArtifactHandler})
 * and serves the {@link Deployer} the shell uses, through {@link PluginOperations}, and the
 * {@link io.atrium.api.PluginFolder} service.
 */
@Component(service = {Deployer.class, io.atrium.api.PluginFolder.class}, immediate = true)
public final class FolderDeployer implements Deployer, io.atrium.api.PluginFolder, BundleListener {
    /** Framework property naming the folder; the runtime sets it (io.atrium.runtime.Atrium.PLUGINS_DIR, the same name). */
    public static final String DIR_PROPERTY = "atrium.plugins.dir";
    /** Location prefix of bundles from the folder, followed by the symbolic name. */
    public static final String FOLDER_LOCATION = "atrium:plugin/";
    /** Location prefix of bundles installed with {@code plugin:install}, followed by the symbolic name. */
    public static final String INSTALL_LOCATION = "atrium:install/";
    /** Location prefix of the server's base set (io.atrium.runtime.internal.BaseBundles.LOCATION_PREFIX, the same text). */
    public static final String BASE_LOCATION = "atrium:base/";
    /** Framework property: the largest configuration or manifest file read, in bytes (default 1 MiB). */
    public static final String MAX_TEXT_BYTES_PROPERTY = "atrium.deploy.maxTextBytes";
    /** Plugins' start level: the runtime's beginning start level (io.atrium.runtime.Atrium.PLUGIN_START_LEVEL). */
    static final int PLUGIN_START_LEVEL = 10;

    private final BundleContext context;
    private final PluginCatalog catalog;
    private final TrustPolicy trust;
    /** The capability policy: a transport's plugin it refuses is listed as refused. */
    private final CapabilityRules capabilities;
    private final FolderScanner scanner;
    private final Bundles bundles;
    private final PluginOperations operations;
    private final Map<ServiceReference<ArtifactHandler>, TransportFiles> transports = new ConcurrentHashMap<>();
    /** A changed trust policy: what runs is judged again, on the worker. */
    private final Runnable policyChanged = this::policyChanged;
    /** The endings transports are known to claim, declared or seen: their files wait while no handler claims them. */
    private final java.util.Set<String> awaited = ConcurrentHashMap.newKeySet();
    private java.util.concurrent.ScheduledFuture<?> retry;

    @Activate
    public FolderDeployer(BundleContext context, @Reference ProblemReport problems, @Reference ConfigurationAdmin configAdmin,
                          @Reference PluginFacades facades, @Reference TrustPolicy trust, @Reference TrustGuard guard,
                          @Reference PluginStarts starts, @Reference PluginCatalog catalog, @Reference SecretStore secrets,
                          @Reference CapabilityRules capabilities) {
        this.context = context;
        this.catalog = catalog;
        this.capabilities = capabilities;
        this.trust = trust; // the guard is referenced so that it judges before this deployer's first bundle resolves
        String d = context.getProperty(DIR_PROPERTY);
        Bundles[] late = new Bundles[1];
        this.scanner = new FolderScanner(d == null ? null : Path.of(d), StateFiles.dataFile(context, "deployments.properties"),
                StateFiles.longProperty(context, MAX_TEXT_BYTES_PROPERTY, 1 << 20), MAX_TEXT_BYTES_PROPERTY, trust::linkRefusal,
                b -> late[0].apply(b));
        this.bundles = new Bundles(context, problems, facades, guard, starts, scanner);
        late[0] = bundles;
        BundleFiles bundleFiles = new BundleFiles(context, trust, bundles, scanner);
        this.operations = new PluginOperations(context, trust, scanner, bundles, bundleFiles);
        scanner.addHandler(bundleFiles);
        scanner.addHandler(new ConfigFiles(configAdmin, secrets));
        for (Bundle b : context.getBundles()) {
            declared(b);
        }
        // The first reconciliation runs before activation returns, while the framework is still below the
        // plugins' start level: every plugin starts in the one start-level change, not one refresh at a time.
        scanner.startUp(batch -> {
            bundleFiles.neverStartedByTheFramework();
            operations.startUp(batch);
        });
        context.addBundleListener(this);
        trust.onChange(policyChanged);
    }

    /**
     * The files a transport's bundle declares ({@link ArtifactHandler#NAMESPACE}) wait for its handler from now on,
     * rather than be read as configurations: at start-up for what is installed (the late part of the base set
     * too: installed before the framework starts, started after the ready line), later for what is installed
     * then (a transport from outside the base set). Another bundle's declaration
     * counts once it has resolved, so a bundle the trust policy refuses cannot make files wait.
     */
    private void declared(Bundle b) {
        if (!isServer(b) && (b.getState() & (Bundle.INSTALLED | Bundle.UNINSTALLED)) != 0) {
            return; // a bundle from outside the server counts once the trust guard let it resolve: a refused one steers nothing
        }
        for (DeclaredTransports.Declaration d : DeclaredTransports.of(b)) {
            if (awaited.addAll(d.suffixes())) {
                scanner.addHandler(new TransportFiles.Awaited(d.suffixes(), d.kind()));
            }
        }
    }

    /** @return whether the bundle is the server's own (the framework or the base set), never judged as a plugin */
    public static boolean isServer(Bundle b) {
        return b.getBundleId() == 0 || b.getLocation().startsWith(BASE_LOCATION);
    }

    @Deactivate
    void deactivate() {
        trust.removeOnChange(policyChanged);
        context.removeBundleListener(this);
        scanner.close();
    }

    /**
     * A transport came: the files it handles (ignored, or waiting for it) are deployed, next on the
     * worker. Not waited for here: this runs on the framework's start-level thread, and a first
     * deployment (a manifest parsed, a contract imported) would hold up the server's start; whoever
     * needs the result asks the deployer, whose answers come after the work queued before them.
     */
    @Reference(service = ArtifactHandler.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeHandler", updated = "handlerModified")
    void addHandler(ServiceReference<ArtifactHandler> ref) {
        TransportFiles t = new TransportFiles(context, ref, scanner, catalog, capabilities);
        transports.put(ref, t);
        scanner.addHandler(t);
    }

    /** A transport's service properties changed (DS gives a component's configuration to its service): what it refused is offered again. */
    void handlerModified(ServiceReference<ArtifactHandler> ref) {
        TransportFiles t = transports.get(ref);
        if (t != null) {
            scanner.settingsChanged(t);
        }
    }

    /**
     * A transport went, with its plugins: its files wait for it to come back. What it claimed is remembered
     * (its suffix and kind), so that its files keep waiting for it even when its bundle declared none.
     */
    void removeHandler(ServiceReference<ArtifactHandler> ref) {
        TransportFiles t = transports.remove(ref);
        if (t == null) {
            return;
        }
        String kind = t.release();
        if (kind != null && awaited.addAll(t.suffixes())) {
            scanner.addHandler(new TransportFiles.Awaited(t.suffixes(), kind));
        }
        scanner.removeHandler(t, e -> "waits for its transport (" + e.kind + "), which stopped");
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        // Another bundle came or went: an unresolved plugin may resolve now. Retried on this event, never on a timer.
        int type = event.getType();
        if (type == BundleEvent.INSTALLED || type == BundleEvent.UPDATED || type == BundleEvent.RESOLVED) {
            declared(event.getBundle());
        }
        if (type == BundleEvent.RESOLVED || type == BundleEvent.UNINSTALLED || type == BundleEvent.UNRESOLVED) {
            try {
                scanner.worker().execute(() -> {
                    if (retry == null || retry.isDone()) {
                        retry = scanner.worker().schedule(bundles::retryUnresolved, 50);
                    }
                });
            } catch (RejectedExecutionException stopping) {
                // the deployer is going
            }
        }
    }

    /** Told by the trust policy when it changed: the work is the worker's. */
    private void policyChanged() {
        try {
            scanner.worker().execute(bundles::rejudge);
        } catch (RejectedExecutionException stopping) {
            // the deployer is going: nothing of it runs any more
        }
    }

    static boolean isPluginLocation(String location) {
        return location.startsWith(FOLDER_LOCATION) || location.startsWith(INSTALL_LOCATION);
    }

    // ---------------------------------------------------------------- what the shell and the API ask

    @Override
    public List<Deployment> deployments() {
        return scanner.call(() -> {
            List<Deployment> list = new ArrayList<>(scanner.rows());
            list.addAll(operations.rows());
            list.sort(Comparator.comparing(Deployment::file));
            return list;
        });
    }

    @Override
    public List<io.atrium.api.PluginFolder.File> files() {
        return deployments().stream().map(d -> new io.atrium.api.PluginFolder.File(d.file(), d.kind(), d.target(), d.state().toString(),
                d.bundleId(), d.detail())).toList();
    }

    @Override
    public Deployment install(String pathOrUrl) {
        return operations.install(pathOrUrl, null);
    }

    @Override
    public Deployment update(long bundleId) {
        return operations.update(bundleId);
    }

    @Override
    public void uninstall(long bundleId) {
        operations.uninstall(bundleId);
    }

    @Override
    public Deployment reload(long bundleId) {
        return operations.reload(bundleId);
    }

    @Override
    public Deployment start(long bundleId) {
        return operations.start(bundleId);
    }

    @Override
    public Deployment stop(long bundleId) {
        return operations.stop(bundleId);
    }
}
