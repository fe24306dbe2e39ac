package io.atrium.core.deploy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/** What one batch of the plugin folder (or one shell operation) does to the framework, applied at its end by {@link Bundles}. */
final class Batch {
    /** Install and update lines logged one by one in a batch; a folder of 1000 plugins gets a count for the rest. */
    static final int LINES_PER_BATCH = 10;
    int untold;
    final Set<Bundle> refresh = new LinkedHashSet<>();
    final Map<Bundle, FolderEntry> start = new HashMap<>();
    /** Done when each start of this batch has returned and its file's row says how it went. */
    final List<CompletableFuture<Void>> settled = new ArrayList<>();
    /** Bundles whose services are swapped in this batch: their facades wait rather than go. */
    final Set<Bundle> swapped = new LinkedHashSet<>();
    private Map<String, FolderEntry> owners;
    private Map<String, Bundle> bundles;
    private int told;

    /** Logs an install or update, or counts it once this batch has said enough (formatting 1000 lines cost ~0.25 s). */
    void tell(String line) {
        if (told++ < LINES_PER_BATCH) {
            FolderEntry.log(Level.INFO, line);
        } else {
            untold++;
        }
    }

    /** Which file holds each installed folder bundle, by symbolic name: computed once a batch. */
    Map<String, FolderEntry> owners(Collection<FolderEntry> files) {
        if (owners == null) {
            owners = new HashMap<>();
            for (FolderEntry e : files) {
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
