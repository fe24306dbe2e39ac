package io.atrium.transport.process.host;

import io.atrium.api.PluginRejectedException;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.support.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
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
 */
final class VerifiedCopies {
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_EXEC = PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("r--------");

    /** What a copy held when it was written: a copy that still looks so need not be written again. */
    private record Written(String sha256, long size, FileTime modified) {
    }

    private final Path root;
    private final Map<Path, Written> written = new ConcurrentHashMap<>();

    /** @param root the private folder of the copies (made owner-only when first used) */
    VerifiedCopies(Path root) {
        this.root = root;
    }

    /**
     * Hashes each pinned file, refuses the launch when one differs from its pin, and makes sure a
     * private copy of exactly the hashed bytes is in place.
     *
     * @return the copy of each pinned file (empty when the manifest pins nothing)
     * @throws PluginRejectedException when a pinned file's SHA-256 differs from its pin
     */
    Map<Path, Path> prepare(PluginManifest m) throws IOException {
        Map<Path, Path> copies = new LinkedHashMap<>();
        for (Map.Entry<Path, String> pin : m.pins().entrySet()) {
            Path original = pin.getKey();
            Path copy = copyOf(m, original);
            if (upToDate(copy, pin.getValue())) {
                check(m, original, Sha256.of(original), pin.getValue()); // streamed: the copy is what runs
            } else {
                byte[] bytes = Files.readAllBytes(original);
                check(m, original, Sha256.of(bytes), pin.getValue());
                write(copy, bytes, Files.isExecutable(original));
                written.put(copy, new Written(pin.getValue(), bytes.length, Files.getLastModifiedTime(copy)));
            }
            copies.put(original, copy);
        }
        return copies;
    }

    /** @throws PluginRejectedException naming the file and both digests, when they differ */
    static void check(PluginManifest m, Path original, String actual, String pinned) {
        if (!actual.equals(pinned)) {
            throw new PluginRejectedException(m.name(), Sha256.mismatch(m.folder().relativize(original), actual, pinned) + ": not launched");
        }
    }

    /** Forgets a plugin's copies (it was undeployed). */
    void discard(String plugin) throws IOException {
        Path dir = root.resolve(plugin);
        written.keySet().removeIf(p -> p.startsWith(dir));
        if (Files.isDirectory(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Path copyOf(PluginManifest m, Path original) {
        Path relative = m.folder().relativize(original);
        // a file outside the plugin folder: the copy must stay inside root, under a name of its own folder
        // (two pinned files of the same name in different folders must not share one copy)
        Path inside = relative.startsWith("..")
                ? Path.of("_outside", Sha256.of(original.toAbsolutePath().getParent().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .substring(0, 16)).resolve(original.getFileName())
                : relative;
        return root.resolve(m.name()).resolve(inside).normalize();
    }

    private boolean upToDate(Path copy, String sha256) throws IOException {
        Written w = written.get(copy);
        return w != null && w.sha256().equals(sha256) && Files.isRegularFile(copy) && Files.size(copy) == w.size()
                && Files.getLastModifiedTime(copy).equals(w.modified());
    }

    private void write(Path copy, byte[] bytes, boolean executable) throws IOException {
        createPrivateDirectories(copy.getParent());
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

    private void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createPrivateDirectories(dir.getParent());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // made by a launch beside this one
        }
        Files.setPosixFilePermissions(dir, PRIVATE_DIR); // the attribute above passes through the umask: set it outright
    }
}
