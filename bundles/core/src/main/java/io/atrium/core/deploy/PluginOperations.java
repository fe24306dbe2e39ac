package io.atrium.core.deploy;

import io.atrium.core.trust.TrustPolicy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * What the shell does to plugin bundles: {@code plugin:install} from a path or URL outside the folder (and
 * its update and uninstall), update of a folder file, reload, start and stop. Each runs on the scanner's
 * thread, and waits here (never there) for the starts it made.
 */
final class PluginOperations {
    private final BundleContext context;
    private final TrustPolicy trust;
    private final FolderScanner scanner;
    private final Bundles bundles;
    private final BundleFiles bundleFiles;
    /** plugin:install's bundles: symbolic name -> source, kept in the data area. On the scanner's thread. */
    private final Map<String, String> installed = new HashMap<>();

    PluginOperations(BundleContext context, TrustPolicy trust, FolderScanner scanner, Bundles bundles, BundleFiles bundleFiles) {
        this.context = context;
        this.trust = trust;
        this.scanner = scanner;
        this.bundles = bundles;
        this.bundleFiles = bundleFiles;
        StateFiles.load(context, "installed.properties").forEach((k, v) -> installed.put(k.toString(), v.toString()));
    }

    /** Start-up: plugin:install's bundles start in the first batch, like the folder's. */
    void startUp(Batch batch) {
        installed.forEach((bsn, source) -> {
            Bundle b = context.getBundle(FolderDeployer.INSTALL_LOCATION + bsn);
            if (b != null) {
                batch.start.put(b, new FolderEntry(source));
            }
        });
    }

    /** @return plugin:install's bundles as rows of plugin:deploys; on the scanner's thread */
    List<Deployment> rows() {
        List<Deployment> list = new ArrayList<>();
        installed.forEach((bsn, source) -> {
            Bundle b = context.getBundle(FolderDeployer.INSTALL_LOCATION + bsn);
            if (b != null) {
                Bundles.Live now = bundles.live(b);
                list.add(new Deployment(source, "bundle", bsn + " " + b.getVersion(), now.state(), b.getBundleId(), now.detail()));
            }
        });
        return list;
    }

    /**
     * {@code plugin:install}, and {@code plugin:update} of what it installed: the source is read, judged as a
     * file of the folder is (a bundle, no fragment of the server, the trust policy), and installed or updated
     * in place. Refused, nothing changes: the bundle that runs keeps running.
     *
     * @param expected the symbolic name the source must still hold (an update), or null
     */
    Deployment install(String pathOrUrl, String expected) {
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
            String alien = bundleFiles.fragmentRefusal(jar);
            if (alien != null) {
                throw new IllegalArgumentException(pathOrUrl + " " + alien);
            }
            TrustPolicy.Verdict verdict = trust.judge(bytes, pathOrUrl, jar.signed());
            if (verdict.refusal() != null) {
                throw new IllegalArgumentException(pathOrUrl + " " + verdict.refusal());
            }
            String location = FolderDeployer.INSTALL_LOCATION + jar.bsn();
            for (Bundle b : context.getBundles()) {
                if (jar.bsn().equals(b.getSymbolicName()) && !b.getLocation().equals(location)) {
                    throw new IllegalArgumentException(jar.bsn() + " is already installed from " + b.getLocation());
                }
            }
            Bundle bundle = context.getBundle(location);
            Batch batch = new Batch();
            if (bundle == null) {
                bundle = context.installBundle(location, new ByteArrayInputStream(bytes));
                bundle.adapt(BundleStartLevel.class).setStartLevel(FolderDeployer.PLUGIN_START_LEVEL);
            } else {
                bundles.swap(bundle, batch);
                Bundles.update(bundle, bytes);
                batch.refresh.add(bundle);
            }
            trust.installed(verdict);
            installed.put(jar.bsn(), pathOrUrl);
            saveInstalled();
            FolderEntry e = new FolderEntry(pathOrUrl);
            batch.start.put(bundle, e);
            bundles.apply(batch);
            FolderEntry.log(Level.INFO, (expected == null ? "installed " : "updated ") + jar.bsn() + " " + jar.version() + " from " + pathOrUrl
                    + " [" + bundle.getBundleId() + "]");
            long id = bundle.getBundleId();
            return new Operation(batch, () -> new Deployment(pathOrUrl, "bundle", jar.bsn() + " " + jar.version(), e.state, id, e.detail));
        });
    }

    /** Reads a plugin's folder file, or plugin:install's source, again and updates its bundle in place. */
    Deployment update(long bundleId) {
        // plugin:install's bundle: its source read again and judged, the one way plugin:install does it
        String[] installedFrom = scanner.call(() -> {
            Bundle bundle = bundle(bundleId);
            if (bundles.folderEntry(bundleId) != null) {
                return null;
            }
            String bsn = bundle.getSymbolicName();
            String source = bundle.getLocation().startsWith(FolderDeployer.INSTALL_LOCATION) ? installed.get(bsn) : null;
            if (source == null) {
                throw new IllegalArgumentException(bsn + " is not a plugin Atrium deployed (location " + bundle.getLocation() + ")");
            }
            return new String[] {source, bsn};
        });
        if (installedFrom != null) {
            return install(installedFrom[0], installedFrom[1]);
        }
        return operate(() -> {
            FolderEntry owner = bundles.folderEntry(bundleId);
            if (owner == null) {
                throw new IllegalArgumentException("bundle " + bundleId + " changed meanwhile; try again");
            }
            Batch b = scanner.redeploy(owner.name); // read again even if it looks unchanged
            return new Operation(b, () -> new Deployment(owner.name, owner.kind, owner.target, owner.state, owner.bundleId, owner.detail));
        });
    }

    void uninstall(long bundleId) {
        scanner.call(() -> {
            Bundle bundle = bundle(bundleId);
            FolderEntry owner = bundles.folderEntry(bundleId);
            if (owner != null) {
                throw new IllegalArgumentException(bundle.getSymbolicName() + " comes from " + scanner.dir().resolve(owner.name)
                        + "; delete that file to uninstall it");
            }
            if (!bundle.getLocation().startsWith(FolderDeployer.INSTALL_LOCATION)) {
                throw new IllegalArgumentException(bundle.getSymbolicName() + " is not a plugin Atrium deployed (location "
                        + bundle.getLocation() + ")");
            }
            Batch b = new Batch();
            bundles.uninstall(bundle, "plugin:uninstall", b);
            installed.remove(bundle.getSymbolicName());
            saveInstalled();
            bundles.apply(b);
            return null;
        });
    }

    Deployment reload(long bundleId) {
        return operate(() -> {
            Bundle bundle = bundle(bundleId);
            FolderEntry e = entryOf(bundle);
            Batch b = new Batch();
            bundles.swapAlone(bundle, b);
            bundle.stop(Bundle.STOP_TRANSIENT);
            b.start.put(bundle, e);
            bundles.apply(b);
            FolderEntry.log(Level.INFO, "reloaded " + bundle.getSymbolicName() + " [" + bundleId + "]");
            return new Operation(b, () -> row(e, bundle));
        });
    }

    Deployment start(long bundleId) {
        return operate(() -> {
            Bundle bundle = bundle(bundleId);
            FolderEntry e = entryOf(bundle);
            Batch b = new Batch();
            b.start.put(bundle, e);
            bundles.apply(b);
            return new Operation(b, () -> row(e, bundle));
        });
    }

    Deployment stop(long bundleId) {
        return scanner.call(() -> {
            Bundle bundle = bundle(bundleId);
            if (FolderDeployer.isServer(bundle)) {
                throw new IllegalArgumentException(bundle.getSymbolicName() + " is part of the server, not a plugin");
            }
            bundle.stop(Bundle.STOP_TRANSIENT);
            FolderEntry e = entryOf(bundle);
            Bundles.Live now = bundles.live(bundle);
            e.state = now.state();
            e.detail = now.detail();
            return row(e, bundle);
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
        Operation op = scanner.call(work);
        try {
            CompletableFuture.allOf(op.batch().settled.toArray(CompletableFuture[]::new))
                    .get(bundles.starts().timeoutMs() + 1_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // still starting (its row says so), or the worker stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return scanner.call(op.row());
    }

    private FolderEntry entryOf(Bundle bundle) {
        FolderEntry owner = bundles.folderEntry(bundle.getBundleId());
        return owner != null ? owner : new FolderEntry(bundle.getLocation());
    }

    private static Deployment row(FolderEntry e, Bundle bundle) {
        return new Deployment(e.name, "bundle", bundle.getSymbolicName() + " " + bundle.getVersion(), e.state, bundle.getBundleId(), e.detail);
    }

    private Bundle bundle(long id) {
        Bundle b = context.getBundle(id);
        if (b == null) {
            throw new IllegalArgumentException("no bundle " + id);
        }
        return b;
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

    private void saveInstalled() {
        Properties p = new Properties();
        p.putAll(installed);
        StateFiles.store(context, "installed.properties", p);
    }
}
