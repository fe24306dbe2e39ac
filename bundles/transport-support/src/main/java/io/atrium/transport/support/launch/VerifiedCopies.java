package io.atrium.transport.support.launch;

import io.atrium.api.PluginRejectedException;
import io.atrium.transport.support.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pinned files are run from a private copy made of the very bytes that were hashed, so nothing can
 * swap a file between its check and its use: hashing a file and then running it by path leaves an
 * instant in which a different file could be put there. The copies live in a folder only the
 * server's user can enter ({@code verified/PLUGIN/}, laid out as in the plugin folder, so a pinned
 * script finds the pinned modules beside it). The originals are still hashed before every launch:
 * a file changed behind Atrium's back is refused, as before, rather than quietly ignored.
 *
 * <p>Nothing here is trusted because it was written once: at every launch each copy is compared byte
 * for byte with the original just hashed (a copy replaced since, even with the same size and time,
 * is written again), and everything in the plugin's folder of copies that is not a copy (a
 * {@code __pycache__}, a stale or planted file) is removed, so that only verified bytes can be
 * imported from there. Comparing costs one more read of files the launch reads anyway.
 *
 * <p>The Python helper the server hands to plugins ({@code ATRIUM_SDK_PYTHON}) is kept the same way,
 * in {@code verified/_sdk/python/}: a copy of the helper built into this bundle (one of the server's
 * own files), checked against those bytes at every launch.
 */
final class VerifiedCopies {
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_EXEC = PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("r--------");
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /** The files of the Python helper, as the build puts them into this bundle (from sdk/python). */
    static final List<String> SDK_FILES = List.of("atrium_plugin.py");
    private static final String SDK_RESOURCES = "/io/atrium/transport/process/sdk/python/";
    /** The helper's folder of copies: no plugin's name starts with '_', so none shares it. */
    static final String SDK_FOLDER = "_sdk";

    private final Path root;
    /** One launch of a plugin at a time prepares its copies (exec calls launch side by side). */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private volatile Map<String, byte[]> sdk;

    /** @param root the private folder of the copies (made owner-only when first used) */
    VerifiedCopies(Path root) {
        this.root = root;
    }

    /**
     * Hashes each pinned file, refuses the launch when one differs from its pin, and makes sure a
     * private copy of exactly the hashed bytes is in place, with nothing else beside it.
     *
     * @return the copy of each pinned file (empty when the manifest pins nothing)
     * @throws PluginRejectedException when a pinned file's SHA-256 differs from its pin
     */
    Map<Path, Path> prepare(Launchable m) throws IOException {
        if (m.pins().isEmpty()) {
            return Map.of();
        }
        synchronized (locks.computeIfAbsent(m.name(), k -> new Object())) {
            Map<Path, Path> copies = new LinkedHashMap<>();
            for (Map.Entry<Path, String> pin : m.pins().entrySet()) {
                Path original = pin.getKey();
                Path copy = copyOf(m, original);
                privateFolders(copy.getParent()); // before comparing: a copy is judged where it is, not through a link
                Compared c = compare(original, copy);
                if (c.same()) {
                    check(m, original, c.sha256(), pin.getValue()); // streamed: the copy holds the bytes just hashed
                } else {
                    byte[] bytes = Files.readAllBytes(original);
                    check(m, original, Sha256.of(bytes), pin.getValue());
                    write(copy, bytes, Files.isExecutable(original));
                }
                copies.put(original, copy);
            }
            prune(root.resolve(m.name()), copies.values());
            return copies;
        }
    }

    /**
     * @return the folder of the verified copy of the Python helper, its files checked against the
     *         bundle's own bytes now, and nothing else in it
     */
    Path sdk() throws IOException {
        Path dir = root.resolve(SDK_FOLDER).resolve("python");
        synchronized (locks.computeIfAbsent(SDK_FOLDER, k -> new Object())) {
            privateFolders(dir);
            List<Path> kept = new ArrayList<>();
            for (Map.Entry<String, byte[]> f : sdkFiles().entrySet()) {
                Path copy = dir.resolve(f.getKey());
                if (!Files.isRegularFile(copy, NOFOLLOW) || !Arrays.equals(Files.readAllBytes(copy), f.getValue())) {
                    write(copy, f.getValue(), false);
                }
                kept.add(copy);
            }
            prune(root.resolve(SDK_FOLDER), kept);
        }
        return dir;
    }

    private Map<String, byte[]> sdkFiles() throws IOException {
        Map<String, byte[]> files = sdk;
        if (files == null) {
            files = new LinkedHashMap<>();
            for (String name : SDK_FILES) {
                try (InputStream in = VerifiedCopies.class.getResourceAsStream(SDK_RESOURCES + name)) {
                    if (in == null) {
                        throw new IOException("the process transport was built without the Python helper " + name);
                    }
                    files.put(name, in.readAllBytes());
                }
            }
            sdk = files = Map.copyOf(files);
        }
        return files;
    }

    /** The original's SHA-256, and whether the copy holds exactly the bytes that were hashed. */
    private record Compared(String sha256, boolean same) {
    }

    /** Reads the original in blocks (a large executable is not loaded whole), hashing it and comparing it with the copy. */
    private static Compared compare(Path original, Path copy) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        boolean same = Files.isRegularFile(copy, NOFOLLOW) && Files.size(copy) == Files.size(original);
        try (InputStream in = Files.newInputStream(original);
             InputStream theCopy = same ? Files.newInputStream(copy, NOFOLLOW) : InputStream.nullInputStream()) {
            byte[] a = new byte[64 << 10];
            byte[] b = new byte[64 << 10];
            for (int n; (n = in.readNBytes(a, 0, a.length)) > 0; ) {
                sha.update(a, 0, n);
                same = same && theCopy.readNBytes(b, 0, n) == n && Arrays.equals(a, 0, n, b, 0, n);
            }
            same = same && theCopy.read() < 0;
        }
        return new Compared(HexFormat.of().formatHex(sha.digest()), same);
    }

    /**
     * Removes from a folder of copies everything that is not one of them: bytecode an interpreter
     * left or someone planted ({@code __pycache__}), copies no longer pinned, any other file.
     */
    private static void prune(Path dir, Collection<Path> keep) throws IOException {
        if (!Files.isDirectory(dir, NOFOLLOW)) {
            return;
        }
        // one level at a time, and only into what holds a copy: a launch prunes, and exec mode launches per call
        try (var entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (keep.contains(p)) {
                    continue;
                }
                if (Files.isDirectory(p, NOFOLLOW) && keep.stream().anyMatch(k -> k.startsWith(p))) {
                    prune(p, keep);
                } else {
                    removeAll(p);
                }
            }
        }
    }

    /** Removes a file, a link (not its target) or a folder with everything in it. */
    private static void removeAll(Path p) throws IOException {
        if (Files.isDirectory(p, NOFOLLOW)) {
            try (var walk = Files.walk(p)) { // links are not followed: a link is removed, not its target
                for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) { // a folder's content before the folder
                    Files.delete(q);
                }
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        } else {
            Files.delete(p);
        }
    }

    /** @throws PluginRejectedException naming the file and both digests, when they differ */
    static void check(Launchable m, Path original, String actual, String pinned) {
        if (!actual.equals(pinned)) {
            throw new PluginRejectedException(m.name(), Sha256.mismatch(m.folder().relativize(original), actual, pinned) + ": not launched");
        }
    }

    /** Forgets a plugin's copies (it was undeployed). */
    void discard(String plugin) throws IOException {
        Path dir = root.resolve(plugin);
        if (Files.isDirectory(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Path copyOf(Launchable m, Path original) {
        Path relative = m.folder().relativize(original);
        // a file outside the plugin folder: the copy must stay inside root, under a name of its own folder
        // (two pinned files of the same name in different folders must not share one copy)
        Path inside = relative.startsWith("..")
                ? Path.of("_outside", Sha256.of(original.toAbsolutePath().getParent().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .substring(0, 16)).resolve(original.getFileName())
                : relative;
        return root.resolve(m.name()).resolve(inside).normalize();
    }

    private void write(Path copy, byte[] bytes, boolean executable) throws IOException {
        privateFolders(copy.getParent());
        Path part = Files.createTempFile(copy.getParent(), ".verified-", ".part");
        try {
            Files.write(part, bytes);
            Files.setPosixFilePermissions(part, executable ? PRIVATE_EXEC : PRIVATE_FILE);
            // a rename, not a rewrite: a process still running the previous copy keeps its own file
            Files.move(part, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /**
     * Makes every folder from the root down to {@code dir} a folder of the server's own, owner-only:
     * one that is a link (or a file) is removed and made afresh, so that no copy is compared, written
     * or run through a link to a folder someone else can change (a data folder restored from elsewhere).
     */
    private void privateFolders(Path dir) throws IOException {
        Path parent = root.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            Files.createDirectories(parent); // (it throws and catches for a folder that exists: a launch asks every time)
        }
        Path d = root;
        privateFolder(d);
        for (Path name : root.relativize(dir)) {
            d = d.resolve(name);
            privateFolder(d);
        }
    }

    private static void privateFolder(Path dir) throws IOException {
        if (Files.isDirectory(dir, NOFOLLOW)) {
            return;
        }
        if (Files.exists(dir, NOFOLLOW)) {
            Files.delete(dir); // a link is removed, not what it leads to
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // made by a launch beside this one
        }
        Files.setPosixFilePermissions(dir, PRIVATE_DIR); // the attribute above passes through the umask: set it outright
    }
}
