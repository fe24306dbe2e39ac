package io.atrium.transport.wasm.files;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.List;
import java.util.Set;

/**
 * One folder of the host as a file system whose root it is, for Chicory's WASI, which reaches files
 * through the {@link java.nio.file.Files} of the paths it is given. Chicory checks a module's paths
 * only lexically, and the operating system would follow a symbolic link anywhere; here every path is
 * opened name by name from the folder, each name relative to the folder opened before it and with
 * {@code NOFOLLOW_LINKS} ({@link SecureDirectoryStream}: {@code openat} with {@code O_NOFOLLOW}).
 * So no link is ever followed, whether it was there before or was swapped in while the module works,
 * and nothing outside the folder is read, written, made or removed. A link shows in listings as a
 * link; opening through it fails, and none can be made. Only regular files and folders are opened (a
 * FIFO or a device would block the calling thread where no deadline reaches it). What is written
 * reaches the host folder; a read-only one refuses every write, and costs no copy.
 */
public final class ConfinedFileSystem extends FileSystem {
    final Path root;
    final boolean readOnly;
    private final ConfinedPath rootPath;

    private ConfinedFileSystem(Path root, boolean readOnly) {
        this.root = root;
        this.readOnly = readOnly;
        this.rootPath = new ConfinedPath(this, Path.of("/"));
    }

    /** Same as {@code of(folder, false)}. */
    public static ConfinedFileSystem of(Path folder) throws IOException {
        return of(folder, false);
    }

    /**
     * @param folder   the host folder (its own links are resolved once, here)
     * @param readOnly whether every write, folder made, removal, rename and change of attributes is refused
     * @throws IOException when it is not a folder, or this platform cannot open files relative to a folder
     */
    public static ConfinedFileSystem of(Path folder, boolean readOnly) throws IOException {
        Path real = folder.toRealPath();
        try (var dir = Files.newDirectoryStream(real)) {
            if (!(dir instanceof SecureDirectoryStream)) {
                throw new IOException("this platform cannot open files relative to a folder, so " + folder + " cannot be confined");
            }
        }
        return new ConfinedFileSystem(real, readOnly);
    }

    /** @return the folder itself: the path to give WASI as a preopened directory */
    public Path root() {
        return rootPath;
    }

    @Override
    public FileSystemProvider provider() {
        return ConfinedProvider.INSTANCE;
    }

    @Override
    public void close() {
        // holds nothing open: every operation opens and closes its folders
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String getSeparator() {
        return "/";
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        return List.of(rootPath);
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return List.of();
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return Set.of("basic", "posix", "unix");
    }

    @Override
    public Path getPath(String first, String... more) {
        return new ConfinedPath(this, Path.of(first, more));
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher lexical = root.getFileSystem().getPathMatcher(syntaxAndPattern);
        return p -> lexical.matches(ConfinedPath.of(p, this).lexical);
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        throw new UnsupportedOperationException();
    }

    @Override
    public WatchService newWatchService() {
        throw new UnsupportedOperationException();
    }

    @Override
    public String toString() {
        return "the granted folder " + root;
    }
}
