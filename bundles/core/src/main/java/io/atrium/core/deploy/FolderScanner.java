package io.atrium.core.deploy;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.logging.Level;

/**
 * The plugin folder's scanner: watches it, debounces its events into batches, keeps each file's stamp
 * and the state file, applies the partial-copy rules, and hands each complete file to the
 * {@link FileHandler} claiming the longest ending of its name.
 *
 * <ul>
 * <li>File events (inotify) are debounced into batches (5 ms of quiet, at most 200 ms); a full rescan
 *     every 3 s catches what file systems with unreliable events miss.</li>
 * <li>A file is handed over only complete: the bytes read are the bytes whose stamp (size, time, inode)
 *     did not move meanwhile; bytes a handler finds incomplete are waited for while the file is young.</li>
 * <li>Hidden files and copiers' temporary files are never looked at; text files have a size limit.</li>
 * <li>A handler that refuses a file, or throws, gets it one line naming it; the scanner goes on.</li>
 * </ul>
 *
 * All state is owned by one thread, the worker; everything else hands its work to it.
 */
final class FolderScanner implements AutoCloseable {
    /** Quiet time after the last event of a file before it is looked at: a rename is one event. */
    static final long QUIET_MS = 5;
    /** A batch is applied at the latest this long after its first event, however busy the folder is. */
    static final long MAX_BATCH_DELAY_MS = 200;
    /** An incomplete file unchanged for this long is refused rather than waited for. */
    static final long SETTLE_MS = 2_000;
    static final long RECHECK_MS = 250;
    /** Full rescan, for file systems whose events are unreliable (NFS, bind mounts). */
    static final long RESCAN_MS = 3_000;

    private final Path dir;
    private final Path stateFile;
    private final long maxTextBytes;
    private final String maxTextBytesProperty;
    private final BiFunction<Path, Path, String> linkRefusal;
    private final Consumer<Batch> apply;
    private final Worker worker;
    private final List<FileHandler> handlers = new ArrayList<>();
    private final Map<String, FolderEntry> files = new HashMap<>();
    private final Set<String> pending = new LinkedHashSet<>();
    /** A file of the folder another file depends on (an executable) -> that file. */
    private final Map<String, String> dependents = new HashMap<>();
    private ScheduledFuture<?> batch;
    private long batchDue;
    private FolderWatcher watcher;

    /**
     * @param dir          the folder, or null when there is none (then nothing is deployed)
     * @param stateFile    where the stamps of deployed files survive a restart, or null
     * @param linkRefusal  (link, folder) -> why a symbolic link is refused, or null
     * @param apply        applies a batch's work at its end
     */
    FolderScanner(Path dir, Path stateFile, long maxTextBytes, String maxTextBytesProperty, BiFunction<Path, Path, String> linkRefusal,
                  Consumer<Batch> apply) {
        this.dir = dir;
        this.stateFile = stateFile;
        this.maxTextBytes = maxTextBytes;
        this.maxTextBytesProperty = maxTextBytesProperty;
        this.linkRefusal = linkRefusal;
        this.apply = apply;
        this.worker = new Worker();
    }

    Path dir() {
        return dir;
    }

    /** @return the worker, whose thread owns the scanner's state and the handlers' */
    Worker worker() {
        return worker;
    }

    /** Runs on the worker thread and waits: {@link Worker#call}. */
    <T> T call(Callable<T> task) {
        return worker.call(task);
    }

    @Override
    public void close() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        worker.stop();
    }

    // ---------------------------------------------------------------- handlers

    /** A handler came: the files it now claims (ignored, waiting, or another's) are deployed by it, next on the worker. */
    void addHandler(FileHandler h) {
        worker.execute(() -> {
            handlers.add(h);
            List<FolderEntry> claimed = files.values().stream().filter(e -> e.handler != h && handlerFor(e.name) == h).toList();
            if (claimed.isEmpty()) {
                return; // before start-up above all: the state file is read there, not written empty here
            }
            Batch b = new Batch();
            for (FolderEntry e : claimed) {
                if (e.handler != null) {
                    try {
                        e.handler.removed(e, b); // read as a configuration before its transport came: it never was one
                    } catch (RuntimeException ex) { // the other files and the batch go on
                        FolderEntry.log(Level.WARNING, "plugin file " + e.name + " was taken over by its " + h.kind() + " handler, but its "
                                + e.kind + " handler failed to let it go: " + ex);
                    }
                    e.handler = null;
                    e.target = "";
                }
                e.stamp = null;
                process(e.name, b);
            }
            apply.accept(b);
            saveState();
        });
    }

    /**
     * A handler's settings changed (its service's properties: a transport's configuration, such as the ceilings a
     * script may ask or the folders a WASM module may be granted): the files it refused are offered to it again, next
     * on the worker, so that one refused for a setting the operator has since changed deploys without being touched.
     */
    void settingsChanged(FileHandler h) {
        worker.execute(() -> {
            List<FolderEntry> refused = files.values().stream().filter(e -> e.state == DeployState.REFUSED && handlerFor(e.name) == h).toList();
            if (refused.isEmpty()) {
                return;
            }
            Batch b = new Batch();
            for (FolderEntry e : refused) {
                e.stamp = null;
                process(e.name, b);
            }
            apply.accept(b);
            saveState();
        });
    }

    /** A handler went, with what it deployed: its files wait, and are looked at again by what claims them now. */
    void removeHandler(FileHandler h, java.util.function.Function<FolderEntry, String> why) {
        worker.execute(() -> {
            handlers.remove(h);
            for (FolderEntry e : files.values()) {
                if (e.handler == h) {
                    e.handler = null;
                    e.stamp = null;
                    e.state = DeployState.WAITING;
                    e.detail = why.apply(e);
                }
            }
        });
    }

    /** @return the handler claiming the longest ending of the name (one that deploys before one that waits), or null */
    private FileHandler handlerFor(String name) {
        FileHandler best = null;
        int bestLength = -1;
        for (FileHandler h : handlers) {
            if (h.owns(name)) {
                return h;
            }
            for (String s : h.suffixes()) {
                if (name.endsWith(s) && (s.length() > bestLength || (s.length() == bestLength && best.waits() != null && h.waits() == null))) {
                    best = h;
                    bestLength = s.length();
                }
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- start-up

    /**
     * The first batch: files unchanged since the last run are taken back from the state file unread, the
     * others deployed; {@code first} adds its own work to the batch before any file is looked at.
     */
    void startUp(Consumer<Batch> first) {
        call(() -> {
            startUpNow(first);
            return null;
        });
    }

    private void startUpNow(Consumer<Batch> first) {
        if (dir == null) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            FolderEntry.log(Level.SEVERE, "plugin folder " + dir + " does not exist; no plugins are deployed from it");
            return;
        }
        Batch b = new Batch();
        first.accept(b);
        Properties known = loadState();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (FileStamps.ignoredName(name)) {
                    continue;
                }
                String[] remembered = known.getProperty(name, "").split("\\|", 2);
                FileHandler h = handlerFor(name);
                FolderEntry e = new FolderEntry(name);
                e.stamp = remembered[0];
                if (h != null && remembered.length == 2 && remembered[0].equals(FileStamps.stamp(p)) && h.resume(e, remembered[1], b)) {
                    e.kind = h.kind(); // unchanged while the server was down: nothing to read
                    e.handler = h;
                    files.put(name, e);
                } else {
                    pending.add(name);
                }
            }
        } catch (IOException e) {
            FolderEntry.log(Level.SEVERE, "plugin folder " + dir + " cannot be read: " + e.getMessage());
            return;
        }
        deployPending(b);
        for (FileHandler h : List.copyOf(handlers)) {
            h.startedUp(files.values(), b);
        }
        apply.accept(b);
        saveState();
        try {
            watcher = new FolderWatcher(dir, name -> worker.execute(() -> touched(name)), () -> worker.execute(this::rescan));
        } catch (IOException e) {
            FolderEntry.log(Level.WARNING, "plugin folder " + dir + " cannot be watched (" + e.getMessage() + "); it is rescanned every "
                    + RESCAN_MS + " ms instead");
        }
        worker.every(this::rescan, RESCAN_MS);
    }

    // ---------------------------------------------------------------- events

    /** A file changed (or a file it depends on): looked at in the next batch. On the worker. */
    void touched(String name) {
        if (FileStamps.ignoredName(name)) {
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
        batch = worker.schedule(this::runBatch, delay);
    }

    private void rescan() {
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        Set<String> seen = new HashSet<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (FileStamps.ignoredName(name)) {
                    continue;
                }
                seen.add(name);
                FolderEntry e = files.get(name);
                if (e == null || !FileStamps.stamp(p).equals(e.stamp) || !e.watchedStamp.equals(FileStamps.stamps(e.watched))) {
                    touched(name);
                }
            }
        } catch (IOException | DirectoryIteratorException e) { // the latter: an entry that went or cannot be read, while listed
            FolderEntry.log(Level.WARNING, "plugin folder " + dir + " cannot be read: " + e.getMessage());
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
        deployPending(b);
        apply.accept(b);
        saveState();
    }

    /** Each pending file, configurations first so that what starts in this batch sees them. */
    private void deployPending(Batch b) {
        List<String> names = new ArrayList<>(pending);
        pending.clear();
        names.sort(Comparator.comparingInt(n -> {
            FileHandler h = handlerFor(n);
            return h == null ? Integer.MAX_VALUE : h.order();
        }));
        for (String name : names) {
            process(name, b);
        }
    }

    /** Reads a file again, even if it looks unchanged, in this batch. On the worker. */
    void redeploy(String name, Batch b) {
        FolderEntry e = files.get(name);
        if (e != null) {
            e.stamp = null;
        }
        process(name, b);
    }

    /** {@link #redeploy} in a batch of its own, applied. On the worker. */
    Batch redeploy(String name) {
        Batch b = new Batch();
        redeploy(name, b);
        apply.accept(b);
        saveState();
        return b;
    }

    // ---------------------------------------------------------------- one file

    private void process(String name, Batch b) {
        FolderEntry known = files.get(name);
        String busy = known == null || known.handler == null ? null : known.handler.busy(known);
        if (busy != null) {
            waitFor(known, busy);
            return;
        }
        Path p = dir.resolve(name);
        FileHandler h = handlerFor(name);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (Files.isSymbolicLink(p)) {
                refuse(entry(name), "is a symbolic link to nothing", h);
            } else {
                removed(name, b);
            }
            return;
        } catch (IOException e) {
            refuse(entry(name), "cannot be read: " + e.getMessage(), h);
            return;
        }
        if (attrs.isDirectory()) {
            if (h != null && h.folderRefusal() != null) {
                refuse(entry(name), h.folderRefusal(), h);
            } else {
                files.remove(name);
            }
            return;
        }
        if (Files.isSymbolicLink(p)) {
            String outside = linkRefusal.apply(p, dir);
            if (outside != null) {
                refuse(entry(name), outside, h);
                return;
            }
        }
        FolderEntry e = entry(name);
        String stamp = FileStamps.stamp(attrs);
        if (stamp.equals(e.stamp) && e.state != DeployState.WAITING && e.watchedStamp.equals(FileStamps.stamps(e.watched))) {
            return; // nothing changed
        }
        if (h == null || h.waits() != null) {
            e.kind = h == null ? "other" : h.kind();
            e.stamp = stamp;
            e.state = h == null ? DeployState.IGNORED : DeployState.WAITING;
            String user = dependents.get(name);
            e.detail = h != null ? h.waits() : user != null ? "used by " + user : "not a plugin or configuration file (" + claimed() + ")";
            return;
        }
        if (h.text() && attrs.size() > maxTextBytes) {
            e.stamp = stamp;
            refuse(e, "is " + attrs.size() + " bytes, more than the " + maxTextBytes + " a configuration or manifest may be (framework property "
                    + maxTextBytesProperty + ")", h);
            return;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
            if (!stamp.equals(FileStamps.stamp(p))) {
                waitFor(e, "is still being written");
                return;
            }
        } catch (NoSuchFileException ex) {
            removed(name, b);
            return;
        } catch (IOException ex) {
            refuse(e, "cannot be read: " + ex.getMessage(), h);
            return;
        }
        deploy(e, h, p, bytes, stamp, attrs.lastModifiedTime().toMillis(), b);
    }

    private void deploy(FolderEntry e, FileHandler h, Path p, byte[] bytes, String stamp, long mtime, Batch b) {
        e.kind = h.kind();
        try {
            h.deploy(e, p, bytes, b);
            e.handler = h;
            e.stamp = stamp;
        } catch (FileHandler.Incomplete ex) {
            // A copy in progress keeps moving its modification time: waited for while young, refused once settled.
            if (System.currentTimeMillis() - mtime < SETTLE_MS) {
                waitFor(e, ex.getMessage());
            } else {
                e.stamp = stamp;
                refuse(e, ex.refusal, h);
            }
        } catch (IllegalArgumentException ex) {
            e.stamp = stamp;
            refuse(e, String.valueOf(ex.getMessage()), h);
        } catch (RuntimeException ex) {
            e.stamp = stamp;
            refuse(e, "was not deployed: " + ex, h);
        }
    }

    private void removed(String name, Batch b) {
        FolderEntry e = files.remove(name);
        dependents.values().removeIf(name::equals);
        if (e == null || e.handler == null) {
            return;
        }
        try {
            e.handler.removed(e, b);
        } catch (RuntimeException ex) {
            FolderEntry.log(Level.WARNING, "plugin file " + name + " was removed, but its " + e.kind + " handler failed: " + ex);
        }
    }

    private String claimed() {
        Set<String> all = new TreeSet<>();
        handlers.forEach(h -> all.addAll(h.suffixes()));
        return String.join(", ", all);
    }

    private static void refuse(FolderEntry e, String reason, FileHandler h) {
        e.refuse(reason, h == null ? "" : h.stillRunning(e));
    }

    private void waitFor(FolderEntry e, String why) {
        e.state = DeployState.WAITING;
        e.detail = why;
        worker.schedule(() -> touched(e.name), RECHECK_MS);
    }

    /** Remembers the files a deployed file depends on, so a change to one deploys it again. */
    void watch(FolderEntry e, List<Path> watched) {
        dependents.values().removeIf(e.name::equals);
        e.watched = watched;
        e.watchedStamp = FileStamps.stamps(watched);
        for (Path w : watched) {
            Path abs = w.toAbsolutePath().normalize();
            if (dir != null && dir.toAbsolutePath().normalize().equals(abs.getParent())) {
                String used = abs.getFileName().toString();
                dependents.put(used, e.name);
                FolderEntry u = files.get(used);
                if (u != null && u.state == DeployState.IGNORED) {
                    u.detail = "used by " + e.name;
                }
            }
        }
    }

    // ---------------------------------------------------------------- what the others read

    /** @return every file's entry; on the worker */
    Collection<FolderEntry> entries() {
        return files.values();
    }

    /** @return the rows of {@code plugin:deploys}, one a file; on the worker */
    List<Deployment> rows() {
        List<Deployment> rows = new ArrayList<>();
        for (FolderEntry e : files.values()) {
            rows.add(e.handler != null ? e.handler.row(e) : new Deployment(e.name, e.kind, e.target, e.state, e.bundleId, e.detail));
        }
        return rows;
    }

    private FolderEntry entry(String name) {
        return files.computeIfAbsent(name, FolderEntry::new);
    }

    // ---------------------------------------------------------------- the state file: name -> stamp|memo

    private Properties loadState() {
        return StateFiles.load(stateFile);
    }

    void saveState() {
        Properties p = new Properties();
        for (FolderEntry e : files.values()) {
            String memo = e.handler == null || e.stamp == null ? null : e.handler.memo(e);
            if (memo != null) {
                p.setProperty(e.name, e.stamp + "|" + memo);
            }
        }
        StateFiles.store(stateFile, p);
    }
}
