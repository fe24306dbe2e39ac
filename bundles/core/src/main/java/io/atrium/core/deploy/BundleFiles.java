package io.atrium.core.deploy;

import io.atrium.core.trust.TrustPolicy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * The plugin folder's bundles ({@code .jar}): a bundle's identity is its symbolic name (location
 * {@code atrium:plugin/BSN}), so a new file with a known name updates that bundle in place. A jar is
 * inspected and judged by the trust policy before it is installed; an installed bundle is uninstalled
 * only when its file is gone, never because the file is momentarily unreadable.
 */
final class BundleFiles implements FileHandler {
    private final BundleContext context;
    private final TrustPolicy trust;
    private final Bundles bundles;
    private final FolderScanner scanner;

    BundleFiles(BundleContext context, TrustPolicy trust, Bundles bundles, FolderScanner scanner) {
        this.context = context;
        this.trust = trust;
        this.bundles = bundles;
        this.scanner = scanner;
    }

    @Override
    public List<String> suffixes() {
        return List.of(".jar");
    }

    /** Every jar is a bundle: a transport claiming a longer ending of it ("s.jar") would uninstall plugins. */
    @Override
    public boolean owns(String name) {
        return name.endsWith(".jar");
    }

    @Override
    public String kind() {
        return "bundle";
    }

    @Override
    public boolean text() {
        return false;
    }

    @Override
    public String folderRefusal() {
        return "is a folder, not a jar";
    }

    @Override
    public String busy(FolderEntry e) {
        // the framework would hold an update or uninstall until the start returns: the deployer does not wait with it
        return e.bundleId >= 0 && bundles.starts().starting(e.bundleId)
                ? "changed while its bundle is still starting; looked at again once the start returns" : null;
    }

    @Override
    public String stillRunning(FolderEntry e) {
        Bundle running = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
        return running == null ? "" : "; still running " + running.getSymbolicName() + " " + running.getVersion();
    }

    private void refuse(FolderEntry e, String reason) {
        e.refuse(reason, stillRunning(e));
    }

    @Override
    public void deploy(FolderEntry e, Path file, byte[] bytes, Batch batch) throws Incomplete {
        JarInspection jar;
        try {
            jar = JarInspection.of(bytes);
        } catch (IOException ex) {
            // An incomplete copy looks like this too. Refusing uninstalls nothing.
            throw new Incomplete("is not a complete jar yet (" + ex.getMessage() + ")", "is not a valid jar: " + ex.getMessage());
        }
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
        bundles.starts().release(jar.bsn()); // a new file: whatever the old one did at its starts, this one gets a fresh start
        e.unchanged = false; // read anew: its start says what it finds
        // Known even when refused, so this file can take over once a conflicting one is gone.
        e.bsn = jar.bsn();
        e.version = jar.version().toString();
        e.target = e.bsn + " " + e.version;
        String location = FolderDeployer.FOLDER_LOCATION + jar.bsn();
        FolderEntry other = batch.owners(scanner.entries()).get(jar.bsn());
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
            bundles.uninstall(before, e.name + " now holds " + jar.bsn(), batch);
            batch.owners(scanner.entries()).values().remove(e);
            e.bundleId = -1;
            for (FolderEntry waiting : scanner.entries()) {
                if (waiting != e && before.getSymbolicName().equals(waiting.bsn) && waiting.bundleId < 0) {
                    scanner.touched(waiting.name); // a second file of the old bundle takes over, next batch
                }
            }
        }
        try {
            Bundle bundle = context.getBundle(location);
            if (bundle == null) {
                bundle = context.installBundle(location, new ByteArrayInputStream(bytes));
                bundle.adapt(BundleStartLevel.class).setStartLevel(FolderDeployer.PLUGIN_START_LEVEL);
                batch.tell("installed " + e.name + ": " + jar.bsn() + " " + jar.version() + " [" + bundle.getBundleId() + "]");
            } else {
                bundles.swap(bundle, batch);
                Bundles.update(bundle, bytes);
                batch.refresh.add(bundle);
                batch.tell("updated " + jar.bsn() + " to " + jar.version() + " from " + e.name + " [" + bundle.getBundleId() + "]");
            }
            trust.installed(verdict);
            e.bundleId = bundle.getBundleId();
            e.detail = "";
            batch.start.put(bundle, e);
            attachToHost(jar, batch);
            batch.owners(scanner.entries()).put(e.bsn, e);
            batch.bundles(context).put(e.bsn, bundle);
        } catch (BundleException ex) {
            refuse(e, "was not installed: " + ex.getMessage());
        }
    }

    /** A fragment attaches when its host resolves: a host already resolved is refreshed, its plugins swapped meanwhile. */
    private void attachToHost(JarInspection jar, Batch batch) {
        Bundle host = jar.host() == null ? null : batch.bundles(context).get(jar.host());
        if (host == null || host.getState() == Bundle.INSTALLED || batch.refresh.contains(host)) {
            return;
        }
        bundles.swap(host, batch);
        batch.refresh.add(host);
        FolderEntry owner = batch.owners(scanner.entries()).get(jar.host());
        if (owner != null) {
            batch.start.put(host, owner);
        }
    }

    /**
     * A fragment becomes part of its host: it may attach to a plugin, never to the framework (refused by
     * {@link JarInspection}), to Atrium's own bundles or to the rest of the base set, whose code it could replace.
     */
    String fragmentRefusal(JarInspection jar) {
        String host = jar.host();
        if (host == null) {
            return null;
        }
        boolean installed = false;
        for (Bundle b : context.getBundles()) {
            if (host.equals(b.getSymbolicName())) {
                installed = true;
                if (b.getBundleId() == 0 || !FolderDeployer.isPluginLocation(b.getLocation())) {
                    return "is a fragment of " + host + ", which is part of the server, not a plugin; fragments may attach to plugin bundles only";
                }
            }
        }
        if (!installed && host.startsWith("io.atrium.")) {
            return "is a fragment of " + host + ", a name of Atrium's own bundles; fragments may attach to plugin bundles only";
        }
        return null;
    }

    @Override
    public void removed(FolderEntry e, Batch batch) {
        if (e.bsn != null) {
            batch.owners(scanner.entries()).remove(e.bsn, e);
        }
        if (e.bundleId < 0) {
            return;
        }
        Bundle bundle = context.getBundle(e.bundleId);
        // Another file holding the same bundle takes over: it updates the bundle rather than reinstalling it.
        for (FolderEntry other : List.copyOf(scanner.entries())) {
            if (e.bsn != null && e.bsn.equals(other.bsn) && other.bundleId < 0) {
                scanner.redeploy(other.name, batch);
                return;
            }
        }
        if (bundle != null) {
            bundles.uninstall(bundle, e.name + " was removed", batch);
        }
    }

    @Override
    public String memo(FolderEntry e) {
        return e.bsn != null && e.bundleId >= 0 ? e.bsn + "|" + FolderDeployer.FOLDER_LOCATION + e.bsn : null;
    }

    @Override
    public boolean resume(FolderEntry e, String memo, Batch batch) {
        String[] bsnAndLocation = memo.split("\\|");
        Bundle b = bsnAndLocation.length == 2 ? context.getBundle(bsnAndLocation[1]) : null;
        if (b == null) {
            return false;
        }
        e.bsn = bsnAndLocation[0];
        e.version = b.getVersion().toString();
        e.target = e.bsn + " " + e.version;
        e.bundleId = b.getBundleId();
        e.state = DeployState.ACTIVE; // what it is now is read from the bundle when listed
        e.unchanged = true;
        batch.start.put(b, e); // started like the others: the framework starts no plugin by itself
        return true;
    }

    /** Folder bundles whose file is gone. */
    @Override
    public void startedUp(Collection<FolderEntry> present, Batch batch) {
        Set<String> owned = new HashSet<>();
        present.forEach(e -> owned.add(e.bsn));
        for (Bundle b : context.getBundles()) {
            String location = b.getLocation();
            if (location.startsWith(FolderDeployer.FOLDER_LOCATION) && !owned.contains(location.substring(FolderDeployer.FOLDER_LOCATION.length()))) {
                bundles.uninstall(b, "its file is gone from " + scanner.dir(), batch);
            }
        }
    }

    @Override
    public Deployment row(FolderEntry e) {
        Bundle b = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
        // A file that is waiting or refused says so, even while its earlier bundle keeps running.
        boolean fileSpeaks = e.state == DeployState.WAITING || e.state == DeployState.REFUSED || e.state == DeployState.IGNORED;
        Bundles.Live now = b == null || fileSpeaks ? new Bundles.Live(e.state, e.detail) : bundles.live(b);
        if (now.state() == DeployState.ACTIVE && !e.trouble.isEmpty()) {
            now = new Bundles.Live(DeployState.FAILED, e.trouble);
        }
        return new Deployment(e.name, e.kind, e.target, now.state(), e.bundleId, now.detail());
    }

    /**
     * Plugin bundles are started by {@link PluginStarts} alone (transiently, with a deadline, recorded):
     * one still marked as started in the framework's cache (by an older Atrium, a {@code felix:start}, a
     * refresh) would be started by the framework's own start-level change, holding the ready line and
     * escaping the quarantine. Cleared before the framework reaches the plugins' level.
     */
    void neverStartedByTheFramework() {
        for (Bundle b : context.getBundles()) {
            if (FolderDeployer.isPluginLocation(b.getLocation()) && b.getState() != Bundle.ACTIVE
                    && b.adapt(BundleStartLevel.class).isPersistentlyStarted()) {
                try {
                    b.stop(); // not running: only its autostart setting changes
                } catch (BundleException | IllegalStateException ex) {
                    FolderEntry.log(Level.WARNING, "cannot clear the autostart setting of " + b.getSymbolicName() + ": " + ex.getMessage());
                }
            }
        }
    }
}
