package io.atrium.transport.nativelib.inprocess;

import io.atrium.transport.nativelib.abi.AbiLoader;
import io.atrium.transport.nativelib.elf.ElfFile;
import io.atrium.transport.nativelib.manifest.NativeManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The libraries loaded into the server's JVM. Each load opens a private copy of the library (in this
 * transport's owner-only data folder, under a name of its own), never the plugin folder's file: what is
 * loaded is the bytes that were checked and hashed, a link swapped in later is not followed, and a new
 * version at the same path is a new library to the dynamic linker (which returns the old one for a path it
 * has open). A C or Rust library is unloaded once its calls are done; a Go library never can be (its
 * runtime's threads live in it), and a process can hold only one Go runtime, so the first Go library
 * loaded is the only one this server runs in-process until it stops.
 */
public final class Libraries {
    private final Path folder;
    private final AtomicLong loads = new AtomicLong();
    /** Per plugin, how many of its copies are mapped now. */
    private final Map<String, AtomicInteger> mapped = new ConcurrentHashMap<>();
    /**
     * The Go library in this process, once one is loaded: its digest, its copy's path and its plugin. It is the
     * JVM's, not this object's: it outlives this transport, a restart of its bundle (a new class loader, with new
     * statics) and another server embedded in the same JVM, so it is kept where all of them see it, the system
     * properties, under a lock of the JVM's.
     */
    static final String GO_RUNTIME = "atrium.native.goRuntime";
    /**
     * What a Go load holds, the JVM's as the runtime is: an interned string, the one object every copy of this class
     * shares (the system properties' own lock would be held while the library loads, and loading takes it).
     */
    private static final Object GO_LOCK = GO_RUNTIME.intern();

    private final CallLedger ledger;
    private final Quarantine quarantine;

    /**
     * @param data the transport's data folder: the private copies go into its {@code libraries} (emptied: copies left
     *             by an earlier run are no longer mapped); the ledger of calls in flight and the quarantine beside it.
     *             The libraries that had calls in flight when the server last died are quarantined, and each is logged.
     */
    public Libraries(Path data) {
        this.folder = data.resolve("libraries");
        try {
            Files.createDirectories(folder);
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            try (var old = Files.list(folder)) {
                for (Path p : (Iterable<Path>) old::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.quarantine = new Quarantine(data.resolve("quarantine.properties"));
        this.ledger = new CallLedger(data.resolve("calls-in-flight"));
        for (CallLedger.InFlight f : ledger.leftOver()) {
            String why = "was being called in the server's JVM (" + f.calls() + (f.calls() == 1 ? " call" : " calls")
                    + " in flight) when the server died";
            quarantine.add(f.plugin(), f.digest(), why + " before the start at " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
            new io.atrium.transport.support.PluginLog(f.plugin()).host(java.util.logging.Level.SEVERE, why
                    + ": quarantined, its library is not loaded again until it changes (a crash in a library in-process ends the server; "
                    + "docs/native.md)");
        }
    }

    /** The server stops normally: no call is left in flight. */
    public void close() {
        ledger.close();
    }

    /**
     * @param m      the plugin's manifest
     * @param bytes  the library's bytes, as read and checked against its pin
     * @param digest their SHA-256
     * @return the library, loaded and initialised
     * @throws IllegalArgumentException one line: not a library for this machine, a second Go runtime, the linker's or the ABI's refusal
     */
    public LoadedLibrary load(NativeManifest m, byte[] bytes, String digest) {
        ElfFile elf = ElfFile.read(bytes);
        String quarantined = quarantine.reason(m.name(), digest);
        if (quarantined != null) {
            throw new IllegalArgumentException("is quarantined: plugin '" + m.name() + "' " + quarantined
                    + "; it is loaded again once its library changes");
        }
        if (elf.isGo()) {
            return loadGo(m, digest, bytes);
        }
        int slot = ledger.slot(m.name(), digest.substring(0, 16));
        Path copy = copy(m, bytes, digest);
        AbiLoader.Opened opened;
        try {
            opened = open(m, copy, m.config(), slot);
        } catch (RuntimeException e) {
            ledger.release(slot);
            throw e;
        } finally {
            delete(copy); // mapped now (or refused): the name stays in the process's maps and in a fatal error's report
        }
        if (opened.exports("crosscall2")) {
            // a Go runtime its sections did not show (stripped), or one it depends on: never unloaded, and the process's only one
            return adoptedGo(m, digest, copy, opened, slot);
        }
        AtomicInteger count = mapped.computeIfAbsent(m.name(), n -> new AtomicInteger());
        count.incrementAndGet();
        Runnable close = () -> {
            opened.close(true);
            ledger.release(slot);
            count.decrementAndGet();
        };
        return checked(m, built(m, opened, digest, false, slot, new Object(), close));
    }

    /** A library whose description does not make a LoadedLibrary is closed at once: nothing of it stays mapped or counted. */
    private LoadedLibrary built(NativeManifest m, AbiLoader.Opened opened, String digest, boolean go, int slot, Object lock, Runnable close) {
        try {
            return new LoadedLibrary(m.name(), opened, digest, go, m.limits().maxOutputBytes(), ledger, slot, lock, close);
        } catch (RuntimeException e) {
            close.run();
            throw e;
        }
    }

    /**
     * Opens a library on a thread of its own, counted in the ledger (its initialisation runs its code), and waits
     * for it a while: a library whose constructor, {@code atrium_init} or {@code atrium_describe} never returns
     * holds that thread, not the deployer's.
     */
    private AbiLoader.Opened open(NativeManifest m, Path copy, String config, int slot) {
        long waitMs = Math.max(10_000, m.limits().callTimeoutMs());
        java.util.concurrent.FutureTask<AbiLoader.Opened> task = new java.util.concurrent.FutureTask<>(() -> {
            ledger.enter(slot);
            try {
                return AbiLoader.open(copy, config);
            } finally {
                ledger.leave(slot);
            }
        });
        Thread t = new Thread(task, "atrium-native-load-" + m.name());
        t.setDaemon(true);
        t.start();
        try {
            return task.get(waitMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalArgumentException("did not finish loading within " + waitMs + " ms: its initialisation (a constructor, "
                    + "atrium_init or atrium_describe) does not return; it stays mapped, its thread blocked in it, until the server restarts");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalArgumentException("could not be loaded: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("was not loaded: interrupted");
        }
    }

    private static final String RULE = " (a process holds one Go runtime: Go does not support two in one process, and cannot unload one)";
    private static final String ISOLATE = "isolated native plugins, which will run each in a process of its own, are not available yet";

    private LoadedLibrary loadGo(NativeManifest m, String digest, byte[] bytes) {
        AbiLoader.Opened opened;
        String path;
        int slot;
        java.util.Properties jvm = System.getProperties();
        synchronized (GO_LOCK) {
            String[] loaded = jvm.getProperty(GO_RUNTIME, "").split("\n");
            if (loaded.length == 3 && !loaded[0].equals(digest)) {
                if (loaded[2].equals(m.name())) {
                    throw new IllegalArgumentException("is a new version of a Go library, which cannot replace the one loaded in this "
                            + "process" + RULE + ": it runs after a restart (" + ISOLATE + ")");
                }
                throw new IllegalArgumentException("holds a Go runtime, and plugin '" + loaded[2] + "' already runs one in this process" + RULE
                        + " (" + ISOLATE + ")");
            }
            slot = ledger.slot(m.name(), digest.substring(0, 16));
            try {
                if (loaded.length == 3) {
                    // the same library again (a restart, a reload of the same bytes): the dynamic linker finds it loaded by its
                    // name, and it was initialised when it was first loaded
                    path = loaded[1];
                    opened = open(m, Path.of(path), null, slot);
                } else {
                    Path copy = copy(m, bytes, digest); // kept: the name by which the linker finds it loaded again
                    path = copy.toString();
                    // recorded before it is opened: its runtime starts as it is mapped, whatever its initialisation then does
                    jvm.setProperty(GO_RUNTIME, digest + "\n" + copy + "\n" + m.name());
                    opened = open(m, copy, m.config(), slot);
                }
            } catch (RuntimeException e) {
                ledger.release(slot);
                throw e;
            }
            mapped.computeIfAbsent(m.name(), n -> new AtomicInteger()).compareAndSet(0, 1); // one copy, however often opened
        }
        return goLibrary(m, digest, path, opened, slot);
    }

    /** A library found to hold (or depend on) a Go runtime after it was loaded as a C one. */
    private LoadedLibrary adoptedGo(NativeManifest m, String digest, Path copy, AbiLoader.Opened opened, int slot) {
        java.util.Properties jvm = System.getProperties();
        synchronized (GO_LOCK) {
            String[] loaded = jvm.getProperty(GO_RUNTIME, "").split("\n");
            if (loaded.length == 3 && !loaded[1].equals(copy.toString())) {
                opened.close(false);
                ledger.release(slot);
                new io.atrium.transport.support.PluginLog(m.name()).host(java.util.logging.Level.SEVERE, "its library holds or loads a Go "
                        + "runtime its sections did not show, beside the one of plugin '" + loaded[2] + "': two Go runtimes now share this "
                        + "process, unsupported by Go; restart the server");
                throw new IllegalArgumentException("holds or loads a second Go runtime" + RULE + " (" + ISOLATE + ")");
            }
            jvm.setProperty(GO_RUNTIME, digest + "\n" + copy + "\n" + m.name());
            mapped.computeIfAbsent(m.name(), n -> new AtomicInteger()).compareAndSet(0, 1);
        }
        return goLibrary(m, digest, copy.toString(), opened, slot);
    }

    private LoadedLibrary goLibrary(NativeManifest m, String digest, String path, AbiLoader.Opened opened, int slot) {
        // every opening of the one Go library serialises on one lock (interned: the JVM's, as the runtime is)
        Object lock = ("atrium.native.go:" + path).intern();
        return checked(m, built(m, opened, digest, true, slot, lock, () -> {
            opened.close(false); // a Go library stays mapped, and its runtime running, until the process ends
            ledger.release(slot);
        }));
    }

    /** The library's own description agrees with its manifest, or it is refused. */
    private static LoadedLibrary checked(NativeManifest m, LoadedLibrary l) {
        if (l.contract != null && !l.contract.equals(m.contract())) {
            l.close();
            throw new IllegalArgumentException("says it implements " + l.contract + " (atrium_describe), and its manifest names " + m.contract());
        }
        return l;
    }

    /** @return how many copies of the plugin's library are mapped into the server */
    public int mapped(String plugin) {
        AtomicInteger n = mapped.get(plugin);
        return n == null ? 0 : n.get();
    }

    private Path copy(NativeManifest m, byte[] bytes, String digest) {
        // the name says whose it is, as the dynamic linker and a fatal error's report show it
        Path copy = folder.resolve(m.name() + "-" + digest.substring(0, 12) + "-" + loads.incrementAndGet() + ".so");
        try {
            Path tmp = Files.createTempFile(folder, ".copy", ".tmp");
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
            Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
            return copy;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot be copied for loading: " + e.getMessage());
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a copy left behind is removed at the next start
        }
    }
}
