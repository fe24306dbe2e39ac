package io.atrium.core.deploy;

import io.atrium.core.diagnostics.ProblemReport;
import io.atrium.core.diagnostics.ResolutionDiagnosis;
import io.atrium.core.facade.PluginFacades;
import io.atrium.core.guard.TrustGuard;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Applies batches to the framework: refreshes only what depends on the changed bundles, resolves the new
 * ones in one resolver pass and hands them to {@link PluginStarts}; says where a deployed bundle stands.
 * Used by the bundle handler and the shell's operations, on the scanner's thread.
 */
final class Bundles {
    static final String SAFE_MODE = "not started: the server runs in safe mode (--safe); plugin:start NAME starts it";

    private final BundleContext context;
    private final ProblemReport problems;
    private final PluginFacades facades;
    private final TrustGuard guard;
    private final PluginStarts starts;
    private final StaleUsages staleUsages;
    private final FolderScanner scanner;

    Bundles(BundleContext context, ProblemReport problems, PluginFacades facades, TrustGuard guard, PluginStarts starts,
            FolderScanner scanner) {
        this.context = context;
        this.problems = problems;
        this.facades = facades;
        this.guard = guard;
        this.starts = starts;
        this.scanner = scanner;
        this.staleUsages = StaleUsages.of(context);
    }

    PluginStarts starts() {
        return starts;
    }

    /**
     * Updates a bundle without letting the framework restart it: {@code Bundle.update} would start an active
     * bundle again on this thread, activator and all; the batch's end starts it through {@link PluginStarts}.
     */
    static void update(Bundle bundle, byte[] bytes) throws BundleException {
        if (bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING) {
            bundle.stop(Bundle.STOP_TRANSIENT);
        }
        bundle.update(new ByteArrayInputStream(bytes));
    }

    void uninstall(Bundle bundle, String why, Batch batch) {
        swap(bundle, false, batch); // its own plugins go; only what depends on it comes back
        try {
            String what = bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId() + "]";
            batch.bundles(context).remove(bundle.getSymbolicName(), bundle);
            bundle.uninstall();
            batch.refresh.add(bundle);
            FolderEntry.log(Level.INFO, "uninstalled " + what + ": " + why);
        } catch (BundleException | IllegalStateException ex) {
            FolderEntry.log(Level.WARNING, "cannot uninstall " + bundle.getSymbolicName() + ": " + ex.getMessage());
        }
    }

    /**
     * Announces that a bundle, and what its refresh will restart, are about to be swapped, before
     * anything stops, so the facades of their plugins stay registered.
     */
    void swap(Bundle bundle, Batch batch) {
        swap(bundle, true, batch);
    }

    void swap(Bundle bundle, boolean includingItself, Batch batch) {
        Collection<Bundle> closure = new ArrayList<>(context.getBundle(0).adapt(FrameworkWiring.class).getDependencyClosure(List.of(bundle)));
        if (!includingItself) {
            closure.remove(bundle);
        }
        closure.removeAll(batch.swapped); // each bundle's swap begins once a batch, as it ends once
        facades.beginSwap(closure);
        batch.swapped.addAll(closure);
    }

    /** A reload: only the bundle itself stops and starts, so only its own plugins are swapped. */
    void swapAlone(Bundle bundle, Batch batch) {
        facades.beginSwap(List.of(bundle));
        batch.swapped.add(bundle);
    }

    void apply(Batch b) {
        if (b.untold > 0) {
            FolderEntry.log(Level.INFO, "and " + b.untold + " more plugin bundles installed or updated; plugin:deploys lists them all");
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
        List<Map.Entry<Bundle, FolderEntry>> resolved = new ArrayList<>();
        for (Map.Entry<Bundle, FolderEntry> item : b.start.entrySet()) {
            Bundle bundle = item.getKey();
            FolderEntry e = item.getValue();
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
                    FolderEntry.log(Level.WARNING, "plugin " + bundle.getSymbolicName() + " " + bundle.getVersion() + " was not started: " + why);
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
    private void launch(List<Map.Entry<Bundle, FolderEntry>> resolved, Batch b) {
        Map<Bundle, FolderEntry> now = new LinkedHashMap<>();
        for (Map.Entry<Bundle, FolderEntry> item : resolved) {
            Bundle bundle = item.getKey();
            FolderEntry e = item.getValue();
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

    /** @return done once the start's outcome is written into its file's row, on the worker */
    private CompletableFuture<Void> settle(Bundle bundle, FolderEntry e, CompletableFuture<Throwable> started) {
        e.state = DeployState.STARTING;
        e.detail = "";
        return started.thenAcceptAsync(failure -> started(bundle, e, failure), scanner.worker());
    }

    /** A start returned: its row says how it went. On the worker. */
    private void started(Bundle bundle, FolderEntry e, Throwable failure) {
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
                FolderEntry.log(Level.WARNING, "plugin " + bundle.getSymbolicName() + " " + bundle.getVersion() + ": " + problem);
                if (e.trouble.isEmpty() && problem.startsWith("its ")) {
                    e.trouble = problem; // its component XML: it runs, but no plugin in it ever will
                }
            }
        } else {
            problems.recordStartFailure(bundle, failure);
            e.state = DeployState.FAILED;
            e.detail = "failed to start: " + ProblemReport.rootMessage(failure);
            FolderEntry.log(Level.WARNING, "plugin " + bundle.getSymbolicName() + " " + e.detail);
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
                FolderEntry.log(Level.WARNING, "refreshing " + changed.size() + " bundle(s) took more than 30 s");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (changed.stream().anyMatch(b -> b.getState() == Bundle.UNINSTALLED)) {
            staleUsages.dropUninstalled(); // what the framework keeps of them otherwise: StaleUsages
        }
    }

    /** Folder bundles that do not resolve may now: retried when another bundle comes or goes, never on a timer. */
    void retryUnresolved() {
        Batch b = new Batch();
        for (FolderEntry e : scanner.entries()) {
            Bundle bundle = e.bundleId < 0 ? null : context.getBundle(e.bundleId);
            if (bundle != null && bundle.getState() == Bundle.INSTALLED) {
                b.start.put(bundle, e);
            }
        }
        if (!b.start.isEmpty()) {
            apply(b);
        }
    }

    /**
     * The trust policy changed: every bundle that is resolved is judged again ({@link TrustGuard}: the base
     * set never is). One it now refuses is stopped and refreshed, one line each, and the guard keeps it from
     * resolving again; its file's row says why. What it refused before is tried again.
     */
    void rejudge() {
        Batch b = new Batch();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getState() == Bundle.INSTALLED || bundle.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            String refusal = guard.refusal(bundle);
            if (refusal == null) {
                continue;
            }
            FolderEntry.log(Level.WARNING, "plugin bundle " + bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + bundle.getBundleId()
                    + "] stopped by the changed trust policy: " + refusal);
            swap(bundle, false, b); // its own plugins go; only what depends on it comes back
            try {
                if (bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING) {
                    bundle.stop(Bundle.STOP_TRANSIENT); // stopped here, or the refresh would start it again and fail
                }
            } catch (BundleException | IllegalStateException ex) {
                FolderEntry.log(Level.WARNING, "cannot stop " + bundle.getSymbolicName() + ": " + ex.getMessage() + "; its refresh stops it");
            }
            b.refresh.add(bundle);
            FolderEntry owner = folderEntry(bundle.getBundleId());
            if (owner != null) {
                owner.state = DeployState.REFUSED;
                owner.detail = refusal;
            }
        }
        apply(b);
        retryUnresolved();
    }

    /** @return the folder file whose bundle this is, or null; on the worker */
    FolderEntry folderEntry(long bundleId) {
        return scanner.entries().stream().filter(e -> e.bundleId == bundleId).findFirst().orElse(null);
    }

    /** Where a deployed bundle stands now, with the reason when it is not active: the one place that says so. */
    record Live(DeployState state, String detail) {
    }

    static boolean isFragment(Bundle b) {
        return b.getHeaders("").get(org.osgi.framework.Constants.FRAGMENT_HOST) != null;
    }

    Live live(Bundle b) {
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
}
