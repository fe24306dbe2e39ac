package io.atrium.core.deploy;

import io.atrium.core.trust.PolicyFile;
import io.atrium.core.trust.TrustPolicy;
import io.atrium.core.diagnostics.ProblemReport;
import io.atrium.core.facade.PluginFacades;
import io.atrium.core.diagnostics.ResolutionDiagnosis;
import io.atrium.spi.ArtifactHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The plugin folder's deployer: makes the framework hold what the folder holds, live.
 *
 * <ul>
 * <li>File events (inotify) are debounced into batches; a batch applies configurations first, then
 *     installs and updates bundles, refreshes only what depends on the changed ones, resolves all new
 *     bundles in one resolver pass and starts them.</li>
 * <li>A bundle's identity is its symbolic name (location {@code atrium:plugin/BSN}): a new file with a
 *     known name updates that bundle in place.</li>
 * <li>A file is installed only complete: the bytes read are the bytes inspected and installed, and a
 *     zip without its central directory is waited for. An installed bundle is never uninstalled because
 *     its file is momentarily unreadable: only a file that is gone uninstalls.</li>
 * <li>Bad files get a one-line reason (log, {@code plugin:deploys}); nothing else is disturbed and the
 *     file stays where it is.</li>
 * </ul>
 *
 * All state is owned by one thread; file events, bundle events and shell commands are handed to it.
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
    /** Quiet time after the last event of a file before it is looked at: a rename is one event. */
    static final long QUIET_MS = 5;
    /** A batch is applied at the latest this long after its first event, however busy the folder is. */
    static final long MAX_BATCH_DELAY_MS = 200;
    /** An unreadable file unchanged for this long is refused rather than waited for. */
    static final long SETTLE_MS = 2_000;
    static final long RECHECK_MS = 250;
    /** Full rescan, for file systems whose events are unreliable (NFS, bind mounts). */
    static final long RESCAN_MS = 3_000;
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");

    /** Every line names a file, whose name may hold anything a file system allows: escaped, so it cannot forge lines. */
    private static void log(Level level, String line) {
        LOG.log(level, io.atrium.transport.support.Escape.oneLine(line));
    }

    /** One file of the folder. Touched only on the worker thread. */
    private static final class Entry {
        final String name;
        String kind = "other";
        String stamp;
        String bsn;
        String version;
        String target = "";
        DeployState state = DeployState.WAITING;
        String detail = "";
        long bundleId = -1;
        /** The transport that deployed this file, when it is not a bundle or a configuration, and the plugin's name. */
        ArtifactHandler handler;
        String plugin;
        /** Other files the handler said this one depends on, and their stamps when it was deployed. */
        List<Path> watched = List.of();
        String watchedStamp = "";
        /** What its start found wrong although the bundle runs (unreadable component descriptions), else "". */
        String trouble = "";
        /** Unchanged since the last run: its start asks SCR nothing (a full folder's restart would ask 1000 times). */
        boolean unchanged;

        Entry(String name) {
            this.name = name;
        }
    }

    /** What one batch did to the framework, applied at its end. */
    private static final class Batch {
        /** Install and update lines logged one by one in a batch; a folder of 1000 plugins gets a count for the rest. */
        static final int LINES_PER_BATCH = 10;
        int untold;
        final Set<Bundle> refresh = new LinkedHashSet<>();
        final Map<Bundle, Entry> start = new HashMap<>();
        /** Done when each start of this batch has returned and its file's row says how it went. */
        final List<CompletableFuture<Void>> settled = new ArrayList<>();
        /** Bundles whose services are swapped in this batch: their facades wait rather than go. */
        final Set<Bundle> swapped = new LinkedHashSet<>();
        private Map<String, Entry> owners;
        private Map<String, Bundle> bundles;
        private int told;

        /** Logs an install or update, or counts it once this batch has said enough (formatting 1000 lines cost ~0.25 s). */
        void tell(String line) {
            if (told++ < LINES_PER_BATCH) {
                log(Level.INFO, line);
            } else {
                untold++;
            }
        }

        /** Which file holds each installed folder bundle, by symbolic name: computed once a batch. */
        Map<String, Entry> owners(Map<String, Entry> files) {
            if (owners == null) {
                owners = new HashMap<>();
                for (Entry e : files.values()) {
                    if (e.bsn != null && e.bundleId >= 0) {
                        owners.put(e.bsn, e);
                    }
                }
            }
            return owners;
        }

        /** Every installed bundle by symbolic name: computed once a batch, not once a file. */
        Map<String, Bundle> bundles(BundleContext context) {
            if (bundles == null) {
                bundles = new HashMap<>();
                for (Bundle b : context.getBundles()) {
                    if (b.getSymbolicName() != null) {
                        bundles.put(b.getSymbolicName(), b);
                    }
                }
            }
            return bundles;
        }
    }

    private final BundleContext context;
    private final ProblemReport problems;
    private final ConfigurationAdmin configAdmin;
    private final PluginFacades facades;
    private final TrustPolicy trust;
    /** Keeps secret properties (a trust store's password) out of the configurations written from files. */
    private final io.atrium.core.secrets.SecretStore secrets;
    private final io.atrium.core.guard.TrustGuard guard;
    /** A changed trust policy: what runs is judged again, on the worker. */
    private final Runnable policyChanged = this::policyChanged;
    private final Path dir;
    private final long maxTextBytes;
    private final ScheduledExecutorService worker;
    private final PluginStarts starts;
    private final StaleUsages staleUsages;
    private final io.atrium.core.registry.PluginCatalog catalog;
    private final Map<String, Entry> files = new HashMap<>();
    private final Map<String, String> installed = new HashMap<>(); // bsn -> source, for plugin:install
    private final Set<String> pending = new LinkedHashSet<>();
    /** Transports' handlers for files that are neither bundles nor configurations, obtained when first needed. */
    private final List<ServiceReference<ArtifactHandler>> handlers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<ServiceReference<ArtifactHandler>, ArtifactHandler> obtained = new java.util.concurrent.ConcurrentHashMap<>();
    /** Worker thread only: a file of the folder another file depends on (an executable) -> that file. */
    private final Map<String, String> dependents = new HashMap<>();
    /** The worker's thread: what it asks of itself (through the registry, say) runs at once rather than queue behind itself. */
    private volatile Thread workerThread;
    private ScheduledFuture<?> batch;
    private long batchDue;
    private ScheduledFuture<?> retry;
    private FolderWatcher watcher;

    @Activate
    public FolderDeployer(BundleContext context, @Reference ProblemReport problems, @Reference ConfigurationAdmin configAdmin,
                          @Reference PluginFacades facades, @Reference TrustPolicy trust, @Reference io.atrium.core.guard.TrustGuard guard,
                          @Reference PluginStarts starts, @Reference io.atrium.core.registry.PluginCatalog catalog,
                          @Reference io.atrium.core.secrets.SecretStore secrets) {
        this.secrets = secrets;
        this.catalog = catalog;
        this.trust = trust;
        this.guard = guard; // referenced so that it judges before this deployer's first bundle resolves
        this.starts = starts;
        this.context = context;
        this.problems = problems;
        this.configAdmin = configAdmin;
        this.facades = facades;
        String d = context.getProperty(DIR_PROPERTY);
        this.dir = d == null ? null : Path.of(d);
        this.staleUsages = StaleUsages.of(context);
        this.maxTextBytes = StateFiles.longProperty(context, MAX_TEXT_BYTES_PROPERTY, 1 << 20);
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atrium-deployer");
            t.setDaemon(true);
            workerThread = t;
            return t;
        });
        loadInstalled();
        // The first reconciliation runs before activation returns, while the framework is still below the
        // plugins' start level: every plugin starts in the one start-level change, not one refresh at a time.
        call(() -> {
            startUp();
            return null;
        });
        context.addBundleListener(this);
        trust.onChange(policyChanged);
    }

    @Deactivate
    void deactivate() {
        trust.removeOnChange(policyChanged);
        context.removeBundleListener(this);
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        worker.shutdownNow();
    }

    /**
     * A transport came: the files it handles (ignored, or waiting for it) are deployed, next on the
     * worker. Not waited for here: this runs on the framework's start-level thread, and a first
     * deployment (a manifest parsed, a contract imported) would hold up the server's start; whoever
     * needs the result asks the deployer, whose answers come after the work queued before them.
     */
    @Reference(service = ArtifactHandler.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeHandler")
    void addHandler(ServiceReference<ArtifactHandler> handler) {
        handlers.add(handler);
        worker.execute(() -> {
            Batch batch = new Batch();
            for (Entry e : List.copyOf(files.values())) {
                if (e.handler == null && claims(handler, e.name)) {
                    if ("config".equals(e.kind) && !e.target.isEmpty()) {
                        deleteConfig(e); // it was read as a configuration before its transport came: it never was one
                        e.target = "";
                    }
                    e.stamp = null;
                    process(e.name, batch);
                }
            }
            apply(batch);
            saveState();
        });
    }

    /** A transport went, with its plugins: its files wait for it to come back. */
    void removeHandler(ServiceReference<ArtifactHandler> handler) {
        handlers.remove(handler);
        ArtifactHandler gone = obtained.remove(handler);
        if (gone == null) {
            return; // never used: no file of its kind was deployed
        }
        context.ungetService(handler);
        worker.execute(() -> {
            for (Entry e : files.values()) {
                if (e.handler == gone) {
                    e.handler = null;
                    e.stamp = null;
                    e.state = DeployState.WAITING;
                    e.detail = "waits for its transport (" + e.kind + "), which stopped";
                }
            }
        });
    }

    /** @return the handler for a file name, got from the registry the first time one is needed */
    private ArtifactHandler handlerFor(String name) {
        for (ServiceReference<ArtifactHandler> ref : handlers) {
            if (claims(ref, name)) {
                ArtifactHandler h = obtained.computeIfAbsent(ref, context::getService);
                if (h != null) {
                    return h;
                }
            }
        }
        return null;
    }

    private static boolean claims(ServiceReference<ArtifactHandler> ref, String name) {
        Object suffix = ref.getProperty(ArtifactHandler.SUFFIX);
        if (suffix instanceof String s) {
            return name.endsWith(s);
        }
        if (suffix instanceof String[] all) {
            for (String s : all) {
                if (name.endsWith(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- start-up

    private void startUp() {
        if (dir == null) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            log(Level.SEVERE, "plugin folder " + dir + " does not exist; no plugins are deployed from it");
            return;
        }
        neverStartedByTheFramework();
        Properties known = loadState();
        Map<Bundle, Entry> unchanged = new LinkedHashMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (ignoredName(name)) {
                    continue;
                }
                String[] remembered = known.getProperty(name, "").split("\\|");
                Bundle b = remembered.length == 3 ? context.getBundle(remembered[2]) : null;
                if (b != null && remembered[0].equals(stamp(p))) {
                    // unchanged while the server was down: nothing to read
                    Entry e = new Entry(name);
                    e.kind = "bundle";
                    e.stamp = remembered[0];
                    e.bsn = remembered[1];
                    e.version = b.getVersion().toString();
                    e.target = e.bsn + " " + e.version;
                    e.bundleId = b.getBundleId();
                    e.state = DeployState.ACTIVE; // what it is now is read from the bundle when listed
                    e.unchanged = true;
                    files.put(name, e);
                    unchanged.put(b, e); // started like the others: the framework starts no plugin by itself
                } else {
                    pending.add(name);
                }
            }
        } catch (IOException e) {
            log(Level.SEVERE, "plugin folder " + dir + " cannot be read: " + e.getMessage());
            return;
        }
        Batch batch = new Batch();
        batch.start.putAll(unchanged);
        installed.forEach((bsn, source) -> { // plugin:install's bundles, likewise
            Bundle b = context.getBundle(INSTALL_LOCATION + bsn);
            if (b != null) {
                batch.start.put(b, new Entry(source));
            }
        });
        pending.stream().filter(ConfigFile::isConfig).toList().forEach(n -> process(n, batch));
        pending.removeIf(ConfigFile::isConfig);
        for (String name : new ArrayList<>(pending)) {
            process(name, batch);
        }
        pending.clear();
        removeOrphans(batch);
        apply(batch);
        saveState();
        try {
            watcher = new FolderWatcher(dir, name -> worker.execute(() -> touched(name)), () -> worker.execute(this::rescan));
        } catch (IOException e) {
            log(Level.WARNING, "plugin folder " + dir + " cannot be watched (" + e.getMessage() + "); it is rescanned every "
                    + RESCAN_MS + " ms instead");
        }
        worker.scheduleWithFixedDelay(this::rescan, RESCAN_MS, RESCAN_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Plugin bundles are started by {@link PluginStarts} alone (transiently, with a deadline, recorded):
     * one still marked as started in the framework's cache (by an older Atrium, a {@code felix:start}, a
     * refresh) would be started by the framework's own start-level change, holding the ready line and
     * escaping the quarantine. Cleared before the framework reaches the plugins' level.
     */
    private void neverStartedByTheFramework() {
        for (Bundle b : context.getBundles()) {
            if (isPluginLocation(b.getLocation()) && b.getState() != Bundle.ACTIVE
                    && b.adapt(BundleStartLevel.class).isPersistentlyStarted()) {
                try {
                    b.stop(); // not running: only its autostart setting changes
                } catch (BundleException | IllegalStateException e) {
                    log(Level.WARNING, "cannot clear the autostart setting of " + b.getSymbolicName() + ": " + e.getMessage());
                }
            }
        }
    }

    /** Folder bundles whose file is gone, and configurations whose file is gone. */
    private void removeOrphans(Batch batch) {
        Set<String> owned = new HashSet<>();
        files.values().forEach(e -> owned.add(e.bsn));
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(FOLDER_LOCATION) && !owned.contains(b.getLocation().substring(FOLDER_LOCATION.length()))) {
                uninstall(b, "its file is gone from " + dir, batch);
            }
        }
        try {
            Configuration[] configs = configAdmin.listConfigurations("(" + ConfigFile.FILE_PROPERTY + "=*)");
            if (configs != null) {
                for (Configuration c : configs) {
                    Object file = c.getProperties() == null ? null : c.getProperties().get(ConfigFile.FILE_PROPERTY);
                    if (file != null && !files.containsKey(file.toString())) {
                        c.delete();
                        log(Level.INFO, "configuration " + c.getPid() + " deleted: " + file + " is gone");
                    }
                }
            }
        } catch (IOException | InvalidSyntaxException e) {
            log(Level.WARNING, "cannot list configurations from files: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- events

    private void touched(String name) {
        if (ignoredName(name)) {
            return;
        }
        pending.add(name);
        String dependent = dependents.get(name);
        if (dependent != null) {
            pending.add(dependent);
        }
        long now = System.currentTimeMillis();
        if (batch == null || batch.isDone()) {
            batchDue = now + MAX_BATCH_DELAY_MS;
        } else {
            batch.cancel(false);
        }
        long delay = Math.min(QUIET_MS, Math.max(0, batchDue - now));
        batch = worker.schedule(this::runBatch, delay, TimeUnit.MILLISECONDS);
    }

    private void rescan() {
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        Set<String> seen = new HashSet<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (ignoredName(name)) {
                    continue;
                }
                seen.add(name);
                Entry e = files.get(name);
                if (e == null || !stamp(p).equals(e.stamp) || !e.watchedStamp.equals(stamps(e.watched))) {
                    touched(name);
                }
            }
        } catch (IOException e) {
            log(Level.WARNING, "plugin folder " + dir + " cannot be read: " + e.getMessage());
            return;
        }
        for (String name : new ArrayList<>(files.keySet())) {
            if (!seen.contains(name)) {
                touched(name);
            }
        }
    }

    private void runBatch() {
        Batch b = new Batch();
        List<String> names = new ArrayList<>(pending);
        pending.clear();
        // configurations first, so components that start in this batch see them
        names.sort(Comparator.comparing((String n) -> !ConfigFile.isConfig(n)));
        for (String name : names) {
            process(name, b);
        }
        apply(b);
        saveState();
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        // Another bundle came or went: an unresolved plugin may resolve now. Retried on this event, never on a timer.
        int type = event.getType();
        if (type == BundleEvent.RESOLVED || type == BundleEvent.UNINSTALLED || type == BundleEvent.UNRESOLVED) {
            worker.execute(() -> {
                if (retry == null || retry.isDone()) {
                    retry = worker.schedule(this::retryUnresolved, 50, TimeUnit.MILLISECONDS);
                }
            });
        }
    }

    private void retryUnresolved() {
        Batch b = new Batch();
        for (Entry e : files.values()) {
            Bundle bundle = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
            if (bundle != null && bundle.getState() == Bundle.INSTALLED) {
                b.start.put(bundle, e);
            }
        }
        if (!b.start.isEmpty()) {
            apply(b);
        }
    }

    /** Told by the trust policy when it changed: the work is the worker's. */
    private void policyChanged() {
        try {
            worker.execute(this::rejudge);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the deployer is going: nothing of it runs any more
        }
    }

    /**
     * The trust policy changed: every bundle that is resolved is judged again ({@link io.atrium.core.guard.TrustGuard}:
     * the base set never is). One it now refuses is stopped and refreshed, one line each, and the guard
     * keeps it from resolving again; its file's row says why. What it refused before is tried again.
     */
    private void rejudge() {
        Batch b = new Batch();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getState() == Bundle.INSTALLED || bundle.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            String refusal = guard.refusal(bundle);
            if (refusal == null) {
                continue;
            }
            log(Level.WARNING, "plugin bundle " + bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId()
                    + "] stopped by the changed trust policy: " + refusal);
            swap(bundle, false, b); // its own plugins go; only what depends on it comes back
            try {
                if (bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING) {
                    bundle.stop(Bundle.STOP_TRANSIENT); // stopped here, or the refresh would start it again and fail
                }
            } catch (BundleException | IllegalStateException ex) {
                log(Level.WARNING, "cannot stop " + bundle.getSymbolicName() + ": " + ex.getMessage() + "; its refresh stops it");
            }
            b.refresh.add(bundle);
            Entry owner = folderEntry(bundle.getBundleId());
            if (owner != null) {
                owner.state = DeployState.REFUSED;
                owner.detail = refusal;
            }
        }
        apply(b);
        retryUnresolved();
    }

    // ---------------------------------------------------------------- one file

    private void process(String name, Batch batch) {
        Entry known = files.get(name);
        if (known != null && known.bundleId >= 0 && starts.starting(known.bundleId)) {
            // the framework would hold an update or uninstall until the start returns: the deployer does not wait with it
            waitFor(known, "changed while its bundle is still starting; looked at again once the start returns");
            return;
        }
        Path p = dir.resolve(name);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (Files.isSymbolicLink(p)) {
                refuse(entry(name), "is a symbolic link to nothing");
            } else {
                removed(name, batch);
            }
            return;
        } catch (IOException e) {
            refuse(entry(name), "cannot be read: " + e.getMessage());
            return;
        }
        boolean jar = name.endsWith(".jar");
        if (attrs.isDirectory()) {
            if (jar) {
                refuse(entry(name), "is a folder, not a jar");
            } else {
                files.remove(name);
            }
            return;
        }
        if (Files.isSymbolicLink(p)) {
            String outside = trust.linkRefusal(p, dir);
            if (outside != null) {
                refuse(entry(name), outside);
                return;
            }
        }
        Entry e = entry(name);
        String stamp = stamp(attrs);
        ArtifactHandler handler = jar ? null : handlerFor(name);
        if (stamp.equals(e.stamp) && e.state != DeployState.WAITING && e.watchedStamp.equals(stamps(e.watched))) {
            return; // nothing changed
        }
        String manifestKind = jar || handler != null ? null : ConfigFile.manifestKind(name);
        if (manifestKind != null) {
            // its transport starts just after the server is ready (or was stopped): deployed when it comes
            e.kind = manifestKind;
            e.stamp = stamp;
            e.state = DeployState.WAITING;
            e.detail = "waits for its transport (" + manifestKind + ")";
            return;
        }
        if (!jar && handler == null && !ConfigFile.isConfig(name)) {
            e.kind = "other";
            e.stamp = stamp;
            e.state = DeployState.IGNORED;
            String user = dependents.get(name);
            e.detail = user != null ? "used by " + user : "not a plugin (.jar, .plugin.json) or configuration (.cfg, .json) file";
            return;
        }
        if (!jar && attrs.size() > maxTextBytes) {
            e.stamp = stamp;
            refuse(e, "is " + attrs.size() + " bytes, more than the " + maxTextBytes + " a configuration or manifest may be (framework property "
                    + MAX_TEXT_BYTES_PROPERTY + ")");
            return;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
            if (!stamp.equals(stamp(p))) {
                waitFor(e, "is still being written");
                return;
            }
        } catch (NoSuchFileException ex) {
            removed(name, batch);
            return;
        } catch (IOException ex) {
            refuse(e, "cannot be read: " + ex.getMessage());
            return;
        }
        if (jar) {
            e.kind = "bundle";
            deployBundle(e, stamp, attrs.lastModifiedTime().toMillis(), bytes, batch);
        } else if (handler != null) {
            e.kind = handler.kind();
            e.stamp = stamp;
            deployArtifact(e, handler, p, bytes);
        } else {
            e.kind = "config";
            e.stamp = stamp;
            applyConfig(e, bytes);
        }
    }

    private void deployBundle(Entry e, String stamp, long mtime, byte[] bytes, Batch batch) {
        JarInspection jar;
        try {
            jar = JarInspection.of(bytes);
        } catch (IOException ex) {
            // An incomplete copy looks like this too: wait while the file is young (a copy in progress keeps
            // moving its modification time), refuse once it has settled. Refusing uninstalls nothing.
            if (System.currentTimeMillis() - mtime < SETTLE_MS) {
                waitFor(e, "is not a complete jar yet (" + ex.getMessage() + ")");
            } else {
                e.stamp = stamp;
                refuse(e, "is not a valid jar: " + ex.getMessage());
            }
            return;
        }
        e.stamp = stamp;
        if (!jar.ok()) {
            refuse(e, jar.refusal());
            return;
        }
        String alien = fragmentRefusal(jar);
        if (alien != null) {
            refuse(e, alien);
            return;
        }
        TrustPolicy.Verdict verdict = trust.judge(bytes, e.name, jar.signed());
        if (verdict.refusal() != null) {
            refuse(e, verdict.refusal());
            return;
        }
        starts.release(jar.bsn()); // a new file: whatever the old one did at its starts, this one gets a fresh start
        e.unchanged = false; // read anew: its start says what it finds
        // Known even when refused, so this file can take over once a conflicting one is gone.
        e.bsn = jar.bsn();
        e.version = jar.version().toString();
        e.target = e.bsn + " " + e.version;
        String location = FOLDER_LOCATION + jar.bsn();
        Entry other = batch.owners(files).get(jar.bsn());
        if (other != null && other != e && other.bundleId >= 0) {
            refuse(e, "holds " + jar.bsn() + " " + jar.version() + ", which " + other.name + " (version " + other.version
                    + ") already provides; remove one of the two files");
            return;
        }
        Bundle same = batch.bundles(context).get(jar.bsn());
        if (same != null && !same.getLocation().equals(location)) {
            refuse(e, "holds " + jar.bsn() + ", which is already installed from " + same.getLocation());
            return;
        }
        Bundle before = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
        if (before != null && !before.getLocation().equals(location)) {
            // the file now holds another bundle: the one it held goes, as if its file had been deleted
            uninstall(before, e.name + " now holds " + jar.bsn(), batch);
            batch.owners(files).values().remove(e);
            e.bundleId = -1;
            for (Entry waiting : files.values()) {
                if (waiting != e && before.getSymbolicName().equals(waiting.bsn) && waiting.bundleId < 0) {
                    touched(waiting.name); // a second file of the old bundle takes over, next batch
                }
            }
        }
        try {
            Bundle bundle = context.getBundle(location);
            if (bundle == null) {
                bundle = context.installBundle(location, new ByteArrayInputStream(bytes));
                bundle.adapt(BundleStartLevel.class).setStartLevel(PLUGIN_START_LEVEL);
                batch.tell("installed " + e.name + ": " + jar.bsn() + " " + jar.version() + " [" + bundle.getBundleId() + "]");
            } else {
                swap(bundle, batch);
                update(bundle, bytes);
                batch.refresh.add(bundle);
                batch.tell("updated " + jar.bsn() + " to " + jar.version() + " from " + e.name + " [" + bundle.getBundleId() + "]");
            }
            trust.installed(verdict);
            e.bundleId = bundle.getBundleId();
            e.detail = "";
            batch.start.put(bundle, e);
            attachToHost(jar, batch);
            batch.owners(files).put(e.bsn, e);
            batch.bundles(context).put(e.bsn, bundle);
        } catch (BundleException ex) {
            refuse(e, "was not installed: " + ex.getMessage());
        }
    }

    /**
     * Updates a bundle without letting the framework restart it: {@code Bundle.update} would start an active
     * bundle again on this thread, activator and all; the batch's end starts it through {@link PluginStarts}.
     */
    private static void update(Bundle bundle, byte[] bytes) throws BundleException {
        if (bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING) {
            bundle.stop(Bundle.STOP_TRANSIENT);
        }
        bundle.update(new ByteArrayInputStream(bytes));
    }

    /** A fragment attaches when its host resolves: a host already resolved is refreshed, its plugins swapped meanwhile. */
    private void attachToHost(JarInspection jar, Batch batch) {
        Bundle host = jar.host() == null ? null : batch.bundles(context).get(jar.host());
        if (host == null || host.getState() == Bundle.INSTALLED || batch.refresh.contains(host)) {
            return;
        }
        swap(host, batch);
        batch.refresh.add(host);
        Entry owner = batch.owners(files).get(jar.host());
        if (owner != null) {
            batch.start.put(host, owner);
        }
    }

    /**
     * A fragment becomes part of its host: it may attach to a plugin, never to the framework (refused by
     * {@link JarInspection}), to Atrium's own bundles or to the rest of the base set, whose code it could replace.
     */
    private String fragmentRefusal(JarInspection jar) {
        String host = jar.host();
        if (host == null) {
            return null;
        }
        boolean installed = false;
        for (Bundle b : context.getBundles()) {
            if (host.equals(b.getSymbolicName())) {
                installed = true;
                if (b.getBundleId() == 0 || !isPluginLocation(b.getLocation())) {
                    return "is a fragment of " + host + ", which is part of the server, not a plugin; fragments may attach to plugin bundles only";
                }
            }
        }
        if (!installed && host.startsWith("io.atrium.")) {
            return "is a fragment of " + host + ", a name of Atrium's own bundles; fragments may attach to plugin bundles only";
        }
        return null;
    }

    static boolean isPluginLocation(String location) {
        return location.startsWith(FOLDER_LOCATION) || location.startsWith(INSTALL_LOCATION);
    }


    private void deployArtifact(Entry e, ArtifactHandler handler, Path p, byte[] bytes) {
        try {
            ArtifactHandler.Deployed d = handler.deploy(p, bytes);
            e.handler = handler;
            e.plugin = d.plugin();
            e.target = d.target();
            setWatched(e, d.watched());
            e.state = DeployState.ACTIVE;
            e.detail = "";
        } catch (IllegalArgumentException ex) {
            refuse(e, ex.getMessage());
        } catch (RuntimeException ex) {
            refuse(e, "was not deployed: " + ex);
        }
    }

    /** Remembers the files a deployed file depends on, so a change to one deploys it again. */
    private void setWatched(Entry e, List<Path> watched) {
        dependents.values().removeIf(e.name::equals);
        e.watched = watched;
        e.watchedStamp = stamps(watched);
        for (Path w : watched) {
            Path abs = w.toAbsolutePath().normalize();
            if (dir != null && dir.toAbsolutePath().normalize().equals(abs.getParent())) {
                String used = abs.getFileName().toString();
                dependents.put(used, e.name);
                Entry u = files.get(used);
                if (u != null && u.state == DeployState.IGNORED) {
                    u.detail = "used by " + e.name;
                }
            }
        }
    }

    private static String stamps(List<Path> paths) {
        if (paths.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Path w : paths) {
            sb.append(stamp(w)).append(';');
        }
        return sb.toString();
    }

    private void applyConfig(Entry e, byte[] bytes) {
        try {
            ConfigFile cfg;
            try {
                cfg = ConfigFile.parse(e.name, bytes);
            } catch (IllegalArgumentException ex) {
                if (PolicyFile.is(e.name)) {
                    failClosed(e, "it " + ex.getMessage()); // "is not a text file: …", "is not a valid properties file: …"
                    return;
                }
                throw ex;
            }
            String unreadable = PolicyFile.is(e.name) ? PolicyFile.unreadable(cfg.properties(), ConfigFile.FILE_PROPERTY) : null;
            if (unreadable != null) {
                failClosed(e, unreadable);
                return;
            }
            Configuration c = cfg.name() == null ? configAdmin.getConfiguration(cfg.pid(), "?")
                    : configAdmin.getFactoryConfiguration(cfg.pid(), cfg.name(), "?");
            if (c.updateIfDifferent(secrets.seal(cfg.pid(), cfg.properties()))) {
                log(Level.INFO, "configuration " + c.getPid() + " set from " + e.name);
            }
            e.target = c.getPid();
            e.state = DeployState.ACTIVE;
            e.detail = "";
        } catch (IllegalArgumentException | IOException ex) {
            refuse(e, ex.getMessage());
        }
    }

    /**
     * The trust policy's file cannot be read (torn, empty, binary, a key or value it does not know): the
     * strictest policy stands in for it, so what cannot be judged is refused rather than let in by the
     * lenient defaults. Said in one line, naming the file.
     */
    private void failClosed(Entry e, String why) {
        try {
            Configuration c = configAdmin.getConfiguration(TrustPolicy.PID, "?");
            c.updateIfDifferent(PolicyFile.strictest(why, ConfigFile.FILE_PROPERTY, e.name));
            e.target = c.getPid();
        } catch (IOException ex) {
            refuse(e, "cannot be read (" + why + "), and the strictest trust policy could not be set: " + ex.getMessage());
            return;
        }
        String detail = "cannot be read (" + why + "); the strictest trust policy is in force until it is mended: " + PolicyFile.STRICTEST;
        boolean changed = e.state != DeployState.REFUSED || !detail.equals(e.detail);
        e.state = DeployState.REFUSED;
        e.detail = detail;
        if (changed) {
            log(Level.SEVERE, "configuration file " + e.name + " " + detail);
        }
    }

    private void removed(String name, Batch batch) {
        Entry e = files.remove(name);
        if (e == null) {
            return;
        }
        if (e.bsn != null) {
            batch.owners(files).remove(e.bsn, e);
        }
        if ("config".equals(e.kind) && !e.target.isEmpty()) {
            deleteConfig(e);
            return;
        }
        if (e.handler != null) {
            dependents.values().removeIf(name::equals);
            try {
                e.handler.undeploy(dir.resolve(name));
            } catch (RuntimeException ex) {
                log(Level.WARNING, "plugin file " + name + " was removed, but its " + e.handler.kind() + " plugin did not stop cleanly: " + ex);
            }
            return;
        }
        if (e.bundleId < 0) {
            return;
        }
        Bundle bundle = context.getBundle(e.bundleId);
        // Another file holding the same bundle takes over: it updates the bundle rather than reinstalling it.
        for (Entry other : files.values()) {
            if (e.bsn != null && e.bsn.equals(other.bsn) && other.bundleId < 0) {
                other.stamp = null;
                process(other.name, batch);
                return;
            }
        }
        if (bundle != null) {
            uninstall(bundle, name + " was removed", batch);
        }
    }

    private void deleteConfig(Entry e) {
        try {
            Configuration[] configs = configAdmin.listConfigurations("(" + ConfigFile.FILE_PROPERTY + "=" + io.atrium.core.registry.Filters.escape(e.name) + ")");
            if (configs != null) {
                for (Configuration c : configs) {
                    c.delete();
                    log(Level.INFO, "configuration " + c.getPid() + " deleted: " + e.name + " was removed");
                }
            }
        } catch (IOException | InvalidSyntaxException ex) {
            log(Level.WARNING, "configuration from " + e.name + " could not be deleted: " + ex.getMessage());
        }
    }

    private void uninstall(Bundle bundle, String why, Batch batch) {
        swap(bundle, false, batch); // its own plugins go; only what depends on it comes back
        try {
            String what = bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId() + "]";
            batch.bundles(context).remove(bundle.getSymbolicName(), bundle);
            bundle.uninstall();
            batch.refresh.add(bundle);
            log(Level.INFO, "uninstalled " + what + ": " + why);
        } catch (BundleException | IllegalStateException ex) {
            log(Level.WARNING, "cannot uninstall " + bundle.getSymbolicName() + ": " + ex.getMessage());
        }
    }

    private void refuse(Entry e, String reason) {
        boolean changed = e.state != DeployState.REFUSED || !reason.equals(e.detail);
        e.state = DeployState.REFUSED;
        Bundle running = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
        e.detail = reason + (running == null ? "" : "; still running " + running.getSymbolicName() + " " + running.getVersion());
        if (changed) {
            log(Level.WARNING, "plugin file " + e.name + " " + e.detail);
        }
    }

    private void waitFor(Entry e, String why) {
        e.state = DeployState.WAITING;
        e.detail = why;
        worker.schedule(() -> touched(e.name), RECHECK_MS, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- the end of a batch

    /**
     * Announces that a bundle, and what its refresh will restart, are about to be swapped, before
     * anything stops, so the facades of their plugins stay registered.
     */
    private void swap(Bundle bundle, Batch batch) {
        swap(bundle, true, batch);
    }

    private void swap(Bundle bundle, boolean includingItself, Batch batch) {
        Collection<Bundle> closure = new ArrayList<>(context.getBundle(0).adapt(FrameworkWiring.class).getDependencyClosure(List.of(bundle)));
        if (!includingItself) {
            closure.remove(bundle);
        }
        closure.removeAll(batch.swapped); // each bundle's swap begins once a batch, as it ends once
        facades.beginSwap(closure);
        batch.swapped.addAll(closure);
    }

    private void apply(Batch b) {
        if (b.untold > 0) {
            log(Level.INFO, "and " + b.untold + " more plugin bundles installed or updated; plugin:deploys lists them all");
        }
        try {
            applyChanges(b);
        } finally {
            if (!b.swapped.isEmpty()) {
                // the swap ends when the restarted plugins have registered again (their starts returned), or at
                // the start deadline: until then their callers wait on the facades rather than fail
                List<Bundle> swapped = List.copyOf(b.swapped);
                CompletableFuture.allOf(b.settled.toArray(CompletableFuture[]::new))
                        .orTimeout(starts.timeoutMs(), TimeUnit.MILLISECONDS)
                        .whenComplete((done, late) -> facades.endSwap(swapped));
            }
        }
    }

    private void applyChanges(Batch b) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        if (!b.refresh.isEmpty()) {
            refresh(wiring, b.refresh);
        }
        if (b.start.isEmpty()) {
            return;
        }
        // Only what is not resolved yet: resolving takes the framework's global lock, which a refresh of the
        // core itself holds while this (its new deployer's first batch) runs; the rest is resolved already.
        List<Bundle> unresolved = b.start.keySet().stream().filter(x -> x.getState() == Bundle.INSTALLED).toList();
        if (!unresolved.isEmpty()) {
            wiring.resolveBundles(unresolved);
        }
        List<Map.Entry<Bundle, Entry>> resolved = new ArrayList<>();
        for (Map.Entry<Bundle, Entry> item : b.start.entrySet()) {
            Bundle bundle = item.getKey();
            Entry e = item.getValue();
            if (bundle.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            if (bundle.getState() == Bundle.INSTALLED && guard.lastRefusal(bundle) != null) {
                e.state = DeployState.REFUSED; // the guard said why, in one line
                e.detail = guard.lastRefusal(bundle);
                continue;
            }
            if (bundle.getState() == Bundle.INSTALLED) {
                // Not started, so the framework does not retry and log raw resolver output on every start.
                String why = ResolutionDiagnosis.explain(context, bundle);
                if (e.state != DeployState.UNRESOLVED || !why.equals(e.detail)) {
                    log(Level.WARNING, "plugin " + bundle.getSymbolicName() + " " + bundle.getVersion() + " was not started: " + why);
                }
                e.state = DeployState.UNRESOLVED;
                e.detail = why;
                continue;
            }
            resolved.add(item);
        }
        launch(resolved, b);
    }

    /**
     * Hands the resolved bundles to {@link PluginStarts}: the worker never waits for an activator. Each
     * row says "starting" until its start returns; then the worker writes how it went.
     */
    private void launch(List<Map.Entry<Bundle, Entry>> resolved, Batch b) {
        Map<Bundle, Entry> now = new LinkedHashMap<>();
        for (Map.Entry<Bundle, Entry> item : resolved) {
            Bundle bundle = item.getKey();
            Entry e = item.getValue();
            String quarantine = starts.quarantine(bundle.getSymbolicName());
            if (isFragment(bundle) || bundle.getState() == Bundle.ACTIVE) {
                Live live = live(bundle); // a fragment is attached to its host, never started; an active bundle runs already
                e.state = live.state();
                e.detail = live.detail();
            } else if (quarantine != null) {
                e.state = DeployState.FAILED;
                e.detail = quarantine;
            } else if (starts.safe()) {
                e.state = DeployState.STOPPED;
                e.detail = SAFE_MODE;
            } else {
                now.put(bundle, e);
            }
        }
        starts.start(now.keySet()).forEach((bundle, done) -> b.settled.add(settle(bundle, now.get(bundle), done)));
    }

    static final String SAFE_MODE = "not started: the server runs in safe mode (--safe); plugin:start NAME starts it";

    /** @return done once the start's outcome is written into its file's row, on the worker */
    private CompletableFuture<Void> settle(Bundle bundle, Entry e, CompletableFuture<Throwable> started) {
        e.state = DeployState.STARTING;
        e.detail = "";
        return started.thenAcceptAsync(failure -> started(bundle, e, failure), worker);
    }

    /** A start returned: its row says how it went. On the worker. */
    private void started(Bundle bundle, Entry e, Throwable failure) {
        if (failure == null) {
            Live now = live(bundle);
            e.state = now.state();
            e.detail = now.detail();
            if (e.unchanged) {
                e.unchanged = false; // said at its deploy already; plugin:problems still reads the components' state
                return;
            }
            e.trouble = "";
            for (String problem : problems.componentProblems(bundle)) {
                log(Level.WARNING, "plugin " + bundle.getSymbolicName() + " " + bundle.getVersion() + ": " + problem);
                if (e.trouble.isEmpty() && problem.startsWith("its ")) {
                    e.trouble = problem; // its component XML: it runs, but no plugin in it ever will
                }
            }
        } else {
            problems.recordStartFailure(bundle, failure);
            e.state = DeployState.FAILED;
            e.detail = "failed to start: " + ProblemReport.rootMessage(failure);
            log(Level.WARNING, "plugin " + bundle.getSymbolicName() + " " + e.detail);
        }
    }

    /** Refreshes the changed bundles and what depends on them, and waits until the framework is done. */
    private void refresh(FrameworkWiring wiring, Set<Bundle> changed) {
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(changed, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        });
        try {
            if (!done.await(30, TimeUnit.SECONDS)) {
                log(Level.WARNING, "refreshing " + changed.size() + " bundle(s) took more than 30 s");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (changed.stream().anyMatch(b -> b.getState() == Bundle.UNINSTALLED)) {
            staleUsages.dropUninstalled(); // what the framework keeps of them otherwise: StaleUsages
        }
    }

    /** Where a deployed bundle stands now, with the reason when it is not active: the one place that says so. */
    private record Live(DeployState state, String detail) {
    }

    /** A transport's plugin that failed makes its file's row say so, with the reason. */
    private Live livePlugin(Entry e, Live fallback) {
        // its transport's own word, asked without waiting: the registry's lookups may wait out a swap, and its whole
        // problem list includes this folder's files (asked from here, a loop)
        var provider = catalog.providerOf(e.plugin);
        if (provider.isEmpty() || provider.get().plugins().stream()
                .noneMatch(p -> p.name().equals(e.plugin) && p.state() == io.atrium.api.PluginState.FAILED)) {
            return fallback;
        }
        String why = provider.get().problems().stream().filter(pr -> pr.plugin().equals(e.plugin))
                .map(io.atrium.api.PluginProblem::reason).findFirst().orElse("failed");
        return new Live(DeployState.FAILED, why);
    }

    private static boolean isFragment(Bundle b) {
        return b.getHeaders("").get(org.osgi.framework.Constants.FRAGMENT_HOST) != null;
    }

    private Live live(Bundle b) {
        String progress = starts.progress(b.getBundleId());
        if (progress != null) {
            return new Live(DeployState.STARTING, progress);
        }
        if (b.getState() == Bundle.RESOLVED && !isFragment(b)) {
            String quarantine = starts.quarantine(b.getSymbolicName());
            if (quarantine != null) {
                return new Live(DeployState.FAILED, quarantine);
            }
            if (starts.safe() && problems.startFailure(b.getBundleId()).isEmpty()) {
                return new Live(DeployState.STOPPED, SAFE_MODE);
            }
        }
        if (b.getState() == Bundle.RESOLVED && isFragment(b)) {
            return new Live(DeployState.ACTIVE, "a fragment of " + b.getHeaders("").get(org.osgi.framework.Constants.FRAGMENT_HOST).split(";")[0].trim());
        }
        return switch (b.getState()) {
            case Bundle.ACTIVE, Bundle.STARTING -> new Live(DeployState.ACTIVE, "");
            case Bundle.INSTALLED -> guard.lastRefusal(b) != null ? new Live(DeployState.REFUSED, guard.lastRefusal(b))
                    : new Live(DeployState.UNRESOLVED, ResolutionDiagnosis.explain(context, b));
            default -> problems.startFailure(b.getBundleId())
                    .map(failure -> new Live(DeployState.FAILED, failure))
                    .orElse(new Live(DeployState.STOPPED, "stopped"));
        };
    }

    // ---------------------------------------------------------------- shell operations

    @Override
    public List<Deployment> deployments() {
        return call(() -> {
            List<Deployment> list = new ArrayList<>();
            for (Entry e : files.values()) {
                Bundle b = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
                // A file that is waiting or refused says so, even while its earlier bundle keeps running.
                boolean fileSpeaks = e.state == DeployState.WAITING || e.state == DeployState.REFUSED || e.state == DeployState.IGNORED;
                Live now = b == null || fileSpeaks ? new Live(e.state, e.detail) : live(b);
                if (now.state() == DeployState.ACTIVE && !e.trouble.isEmpty()) {
                    now = new Live(DeployState.FAILED, e.trouble);
                }
                if (e.handler != null && !fileSpeaks) {
                    now = livePlugin(e, now);
                }
                list.add(new Deployment(e.name, e.kind, e.target, now.state(), e.bundleId, now.detail()));
            }
            installed.forEach((bsn, source) -> {
                Bundle b = context.getBundle(INSTALL_LOCATION + bsn);
                if (b != null) {
                    Live now = live(b);
                    list.add(new Deployment(source, "bundle", bsn + " " + b.getVersion(), now.state(), b.getBundleId(), now.detail()));
                }
            });
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
        return install(pathOrUrl, null);
    }

    /**
     * {@code plugin:install}, and {@code plugin:update} of what it installed: the source is read, judged as a
     * file of the folder is (a bundle, no fragment of the server, the trust policy), and installed or updated
     * in place. Refused, nothing changes: the bundle that runs keeps running.
     *
     * @param expected the symbolic name the source must still hold (an update), or null
     */
    private Deployment install(String pathOrUrl, String expected) {
        return operate(() -> {
            byte[] bytes = readSource(pathOrUrl);
            JarInspection jar;
            try {
                jar = JarInspection.of(bytes);
            } catch (IOException e) {
                throw new IllegalArgumentException(pathOrUrl + " is not a valid jar: " + e.getMessage());
            }
            if (!jar.ok()) {
                throw new IllegalArgumentException(pathOrUrl + " " + jar.refusal());
            }
            if (expected != null && !expected.equals(jar.bsn())) {
                throw new IllegalArgumentException(pathOrUrl + " now holds " + jar.bsn() + ", not " + expected + "; plugin:uninstall "
                        + expected + " and plugin:install it");
            }
            String alien = fragmentRefusal(jar);
            if (alien != null) {
                throw new IllegalArgumentException(pathOrUrl + " " + alien);
            }
            TrustPolicy.Verdict verdict = trust.judge(bytes, pathOrUrl, jar.signed());
            if (verdict.refusal() != null) {
                throw new IllegalArgumentException(pathOrUrl + " " + verdict.refusal());
            }
            for (Bundle b : context.getBundles()) {
                if (jar.bsn().equals(b.getSymbolicName()) && !b.getLocation().equals(INSTALL_LOCATION + jar.bsn())) {
                    throw new IllegalArgumentException(jar.bsn() + " is already installed from " + b.getLocation());
                }
            }
            Bundle bundle = context.getBundle(INSTALL_LOCATION + jar.bsn());
            Batch batch = new Batch();
            if (bundle == null) {
                bundle = context.installBundle(INSTALL_LOCATION + jar.bsn(), new ByteArrayInputStream(bytes));
                bundle.adapt(BundleStartLevel.class).setStartLevel(PLUGIN_START_LEVEL);
            } else {
                swap(bundle, batch);
                update(bundle, bytes);
                batch.refresh.add(bundle);
            }
            trust.installed(verdict);
            installed.put(jar.bsn(), pathOrUrl);
            saveInstalled();
            Entry e = new Entry(pathOrUrl);
            batch.start.put(bundle, e);
            apply(batch);
            log(Level.INFO, (expected == null ? "installed " : "updated ") + jar.bsn() + " " + jar.version() + " from " + pathOrUrl
                    + " [" + bundle.getBundleId() + "]");
            long id = bundle.getBundleId();
            return new Operation(batch, () -> new Deployment(pathOrUrl, "bundle", jar.bsn() + " " + jar.version(), e.state, id, e.detail));
        });
    }

    @Override
    public Deployment update(long bundleId) {
        // plugin:install's bundle: its source read again and judged, the one way plugin:install does it
        String[] installedFrom = call(() -> {
            Bundle bundle = bundle(bundleId);
            if (folderEntry(bundleId) != null) {
                return null;
            }
            String bsn = bundle.getSymbolicName();
            String source = bundle.getLocation().startsWith(INSTALL_LOCATION) ? installed.get(bsn) : null;
            if (source == null) {
                throw new IllegalArgumentException(bsn + " is not a plugin Atrium deployed (location " + bundle.getLocation() + ")");
            }
            return new String[] {source, bsn};
        });
        if (installedFrom != null) {
            return install(installedFrom[0], installedFrom[1]);
        }
        return operate(() -> {
            Entry owner = folderEntry(bundleId);
            if (owner == null) {
                throw new IllegalArgumentException("bundle " + bundleId + " changed meanwhile; try again");
            }
            owner.stamp = null; // read it again even if it looks unchanged
            Batch b = new Batch();
            process(owner.name, b);
            apply(b);
            saveState();
            return new Operation(b, () -> new Deployment(owner.name, owner.kind, owner.target, owner.state, owner.bundleId, owner.detail));
        });
    }

    @Override
    public void uninstall(long bundleId) {
        call(() -> {
            Bundle bundle = bundle(bundleId);
            Entry owner = folderEntry(bundleId);
            if (owner != null) {
                throw new IllegalArgumentException(bundle.getSymbolicName() + " comes from " + dir.resolve(owner.name)
                        + "; delete that file to uninstall it");
            }
            if (!bundle.getLocation().startsWith(INSTALL_LOCATION)) {
                throw new IllegalArgumentException(bundle.getSymbolicName() + " is not a plugin Atrium deployed (location "
                        + bundle.getLocation() + ")");
            }
            Batch b = new Batch();
            uninstall(bundle, "plugin:uninstall", b);
            installed.remove(bundle.getSymbolicName());
            saveInstalled();
            apply(b);
            return null;
        });
    }

    @Override
    public Deployment reload(long bundleId) {
        return operate(() -> {
            Bundle bundle = bundle(bundleId);
            Entry owner = folderEntry(bundleId);
            Entry e = owner != null ? owner : new Entry(bundle.getLocation());
            Batch b = new Batch();
            facades.beginSwap(List.of(bundle));
            b.swapped.add(bundle);
            bundle.stop(Bundle.STOP_TRANSIENT);
            b.start.put(bundle, e);
            apply(b);
            log(Level.INFO, "reloaded " + bundle.getSymbolicName() + " [" + bundleId + "]");
            return new Operation(b, () -> new Deployment(e.name, "bundle", bundle.getSymbolicName() + " " + bundle.getVersion(), e.state, bundleId,
                    e.detail));
        });
    }

    /** A shell operation's work on the worker, and how to read its outcome once its starts have returned. */
    private record Operation(Batch batch, Callable<Deployment> row) {
    }

    /**
     * Runs an operation's batch on the worker, waits here (never on the worker, which keeps answering)
     * for its starts, at most a start's deadline, then reads its row: "starting" if a start is still out.
     */
    private Deployment operate(Callable<Operation> work) {
        Operation op = call(work);
        try {
            CompletableFuture.allOf(op.batch().settled.toArray(CompletableFuture[]::new)).get(starts.timeoutMs() + 1_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // still starting (its row says so), or the worker stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return call(op.row());
    }

    @Override
    public Deployment start(long bundleId) {
        return operate(() -> {
            Bundle bundle = bundle(bundleId);
            Entry owner = folderEntry(bundleId);
            Entry e = owner != null ? owner : new Entry(bundle.getLocation());
            Batch b = new Batch();
            b.start.put(bundle, e);
            apply(b);
            return new Operation(b, () -> row(e, bundle));
        });
    }

    @Override
    public Deployment stop(long bundleId) {
        return call(() -> {
            Bundle bundle = bundle(bundleId);
            if (bundle.getBundleId() == 0 || bundle.getLocation().startsWith(BASE_LOCATION)) {
                throw new IllegalArgumentException(bundle.getSymbolicName() + " is part of the server, not a plugin");
            }
            bundle.stop(Bundle.STOP_TRANSIENT);
            Entry owner = folderEntry(bundleId);
            Entry e = owner != null ? owner : new Entry(bundle.getLocation());
            Live now = live(bundle);
            e.state = now.state();
            e.detail = now.detail();
            return row(e, bundle);
        });
    }

    private static Deployment row(Entry e, Bundle bundle) {
        return new Deployment(e.name, "bundle", bundle.getSymbolicName() + " " + bundle.getVersion(), e.state, bundle.getBundleId(), e.detail);
    }

    private Bundle bundle(long id) {
        Bundle b = context.getBundle(id);
        if (b == null) {
            throw new IllegalArgumentException("no bundle " + id);
        }
        return b;
    }

    private Entry folderEntry(long bundleId) {
        return files.values().stream().filter(e -> e.bundleId == bundleId).findFirst().orElse(null);
    }

    private static byte[] readSource(String pathOrUrl) {
        try {
            if (pathOrUrl.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") && !pathOrUrl.matches("^[a-zA-Z]:\\\\.*")) {
                try (InputStream in = new URL(pathOrUrl).openStream()) {
                    return in.readAllBytes();
                }
            }
            return Files.readAllBytes(Path.of(pathOrUrl));
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(pathOrUrl + " is not a valid URL: " + e.getMessage());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(pathOrUrl + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException(pathOrUrl + " cannot be read: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    private Entry entry(String name) {
        return files.computeIfAbsent(name, Entry::new);
    }

    /** Files a deployer must never touch: hidden files, editors' and copiers' temporary files. */
    static boolean ignoredName(String name) {
        return name.startsWith(".") || name.endsWith(".part") || name.endsWith(".tmp") || name.endsWith(".swp")
                || name.endsWith("~") || name.endsWith(".crdownload");
    }

    private static String stamp(Path p) {
        try {
            return stamp(Files.readAttributes(p, BasicFileAttributes.class));
        } catch (IOException e) {
            return "gone";
        }
    }

    /**
     * What says a file changed: its size, its modification time to the nanosecond, and its inode (a file
     * renamed over another is a new inode, even when size and time happen to be equal).
     */
    private static String stamp(BasicFileAttributes a) {
        return a.size() + ":" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + ":" + a.fileKey();
    }

    /** Runs on the worker thread and waits; failures come back as one-line IllegalArgumentExceptions. */
    private <T> T call(Callable<T> task) {
        if (Thread.currentThread() == workerThread) {
            try {
                return task.call();
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalArgumentException(String.valueOf(e), e);
            }
        }
        try {
            return worker.submit(task).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException(cause instanceof BundleException ? cause.getMessage() : String.valueOf(cause), cause);
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("the deployer is busy; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("interrupted");
        }
    }

    // ---------------------------------------------------------------- what survives a restart

    /** file name -> stamp|bsn|location, so unchanged files are not read again at start-up. */
    private Properties loadState() {
        return StateFiles.load(context, "deployments.properties");
    }

    private void saveState() {
        Properties p = new Properties();
        for (Entry e : files.values()) {
            if ("bundle".equals(e.kind) && e.bsn != null && e.bundleId >= 0 && e.stamp != null) {
                p.setProperty(e.name, e.stamp + "|" + e.bsn + "|" + FOLDER_LOCATION + e.bsn);
            }
        }
        StateFiles.store(context, "deployments.properties", p);
    }

    private void loadInstalled() {
        StateFiles.load(context, "installed.properties").forEach((k, v) -> installed.put(k.toString(), v.toString()));
    }

    private void saveInstalled() {
        Properties p = new Properties();
        p.putAll(installed);
        StateFiles.store(context, "installed.properties", p);
    }
}
