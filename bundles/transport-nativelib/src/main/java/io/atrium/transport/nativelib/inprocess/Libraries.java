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
    /** The Go library in this process, once one is loaded: it stays. */
    private GoRuntime go;

    private record GoRuntime(String plugin, String digest, AbiLoader.Opened opened) {
    }

    /** @param folder where the private copies go (emptied: copies left by an earlier run are no longer mapped) */
    public Libraries(Path folder) {
        this.folder = folder;
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
        if (elf.isGo()) {
            return loadGo(m, digest, bytes);
        }
        Path copy = copy(m, bytes, digest);
        AbiLoader.Opened opened;
        try {
            opened = AbiLoader.open(copy, m.config());
        } finally {
            delete(copy); // mapped now (or refused): the name stays in the process's maps and in a fatal error's report
        }
        AtomicInteger count = mapped.computeIfAbsent(m.name(), n -> new AtomicInteger());
        count.incrementAndGet();
        return checked(m, new LoadedLibrary(m.name(), opened, digest, false, m.limits().maxOutputBytes(), () -> {
            opened.close(true);
            count.decrementAndGet();
        }));
    }

    private synchronized LoadedLibrary loadGo(NativeManifest m, String digest, byte[] bytes) {
        String rule = " (a process holds one Go runtime: Go does not support two in one process, and cannot unload one)";
        if (go != null && !go.digest.equals(digest)) {
            if (go.plugin.equals(m.name())) {
                throw new IllegalArgumentException("is a new version of a Go library, which cannot replace the one loaded in this server"
                        + rule + ": it runs after a restart; with \"isolation\": \"process\" it is replaced at once");
            }
            throw new IllegalArgumentException("holds a Go runtime, and plugin '" + go.plugin + "' already runs one in this server" + rule
                    + ": use \"isolation\": \"process\"");
        }
        if (go == null) {
            Path copy = copy(m, bytes, digest); // kept: opening the same path again finds the library loaded, not a second runtime
            go = new GoRuntime(m.name(), digest, AbiLoader.open(copy, m.config()));
            mapped.computeIfAbsent(m.name(), n -> new AtomicInteger()).incrementAndGet();
        }
        return checked(m, new LoadedLibrary(m.name(), go.opened, digest, true, m.limits().maxOutputBytes(), () -> {
            // a Go library stays mapped, and its runtime running, until the server stops
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
