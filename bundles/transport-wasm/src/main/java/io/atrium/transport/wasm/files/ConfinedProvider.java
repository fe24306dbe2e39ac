package io.atrium.transport.wasm.files;

import java.nio.file.StandardOpenOption;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The operations of {@link ConfinedFileSystem}s. Each opens the folders on the way to its file one by
 * one from the granted folder, never following a link ({@link #parent}), then acts on the last name
 * relative to the folder that holds it; what Java cannot do relative to a folder is made so (see
 * {@link #createDirectory}) or refused.
 */
final class ConfinedProvider extends FileSystemProvider {
    static final String SCHEME = "atrium-grant";
    static final ConfinedProvider INSTANCE = new ConfinedProvider();
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private ConfinedProvider() {
    }

    /** The folder holding a file, reached name by name without following links, open; the caller closes it. */
    private static SecureDirectoryStream<Path> open(ConfinedFileSystem fs, List<String> names) throws IOException {
        SecureDirectoryStream<Path> dir = (SecureDirectoryStream<Path>) Files.newDirectoryStream(fs.root);
        try {
            for (String name : names) {
                SecureDirectoryStream<Path> next = dir.newDirectoryStream(Path.of(name), NOFOLLOW);
                dir.close();
                dir = next;
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    /** A file's folder and its name in it. */
    private record Entry(SecureDirectoryStream<Path> dir, Path name) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            dir.close();
        }
    }

    /** @throws AccessDeniedException for the granted folder itself, which has no folder here to be an entry of */
    private static Entry parent(Path path) throws IOException {
        ConfinedPath p = ConfinedPath.of(path);
        List<String> names = p.names();
        if (names.isEmpty()) {
            throw new AccessDeniedException(p.toString(), null, "the granted folder itself");
        }
        return new Entry(open(p.fs, names.subList(0, names.size() - 1)), Path.of(names.get(names.size() - 1)));
    }

    private static PosixFileAttributes stat(Path path) throws IOException {
        ConfinedPath p = ConfinedPath.of(path);
        if (p.names().isEmpty()) {
            return Files.readAttributes(p.fs.root, PosixFileAttributes.class, NOFOLLOW);
        }
        try (Entry e = parent(p)) {
            return e.dir.getFileAttributeView(e.name, PosixFileAttributeView.class, NOFOLLOW).readAttributes();
        }
    }

    /** A read-only grant refuses every change, as a read-only mount does. */
    private static void writable(Path p) throws IOException {
        if (ConfinedPath.of(p).fs.readOnly) {
            throw new AccessDeniedException(p.toString(), null, "the folder is granted read-only");
        }
    }

    private static FileSystemException noLinks(Path p) {
        return new AccessDeniedException(p.toString(), null, "links are neither followed nor made in a granted folder");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
        throw new UnsupportedOperationException("made by ConfinedFileSystem.of");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        throw new UnsupportedOperationException("made by ConfinedFileSystem.of");
    }

    @Override
    public Path getPath(URI uri) {
        throw new UnsupportedOperationException("made by ConfinedFileSystem.of");
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        Set<OpenOption> nofollow = new HashSet<>(options);
        nofollow.add(NOFOLLOW);
        if (options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND)
                || options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW)
                || options.contains(StandardOpenOption.TRUNCATE_EXISTING) || options.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            writable(path);
        }
        try (Entry e = parent(path)) {
            try {
                BasicFileAttributes a = e.dir.getFileAttributeView(e.name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
                if (!a.isRegularFile() && !a.isDirectory() && !a.isSymbolicLink()) { // a link is refused by the open itself
                    // a FIFO's open blocks until a writer comes, a device's may block for ever: no deadline reaches a thread there
                    throw new AccessDeniedException(path.toString(), null, "only files and folders are opened in a granted folder");
                }
            } catch (NoSuchFileException missing) {
                // made by the open, if its options say so
            }
            SeekableByteChannel channel = e.dir.newByteChannel(e.name, nofollow, attrs);
            if (channel instanceof FileChannel f) { // as it is on the JDK's Unix file systems
                return f;
            }
            channel.close();
            throw new FileSystemException(path.toString(), null, "this platform opens no file channels relative to a folder");
        }
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        return newFileChannel(path, options, attrs);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        ConfinedPath p = ConfinedPath.of(dir);
        SecureDirectoryStream<Path> stream = open(p.fs, p.names());
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                Iterator<Path> names = stream.iterator();
                return new Iterator<>() {
                    private Path next;

                    @Override
                    public boolean hasNext() {
                        while (next == null && names.hasNext()) {
                            Path candidate = p.resolve(names.next().getFileName().toString());
                            try {
                                if (filter.accept(candidate)) {
                                    next = candidate;
                                }
                            } catch (IOException e) {
                                throw new java.nio.file.DirectoryIteratorException(e);
                            }
                        }
                        return next != null;
                    }

                    @Override
                    public Path next() {
                        if (!hasNext()) {
                            throw new java.util.NoSuchElementException();
                        }
                        Path n = next;
                        next = null;
                        return n;
                    }
                };
            }

            @Override
            public void close() throws IOException {
                stream.close();
            }
        };
    }

    /**
     * Java makes folders only by their full path, which the system resolves following links. So the
     * folder is made directly in the granted folder under a name of its own (only its last name is
     * resolved, and a last name is never followed), then moved into place relative to the folder that
     * is to hold it, which was reached without following links.
     */
    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        writable(dir);
        ConfinedPath p = ConfinedPath.of(dir);
        if (p.names().isEmpty()) {
            throw new FileAlreadyExistsException(p.toString());
        }
        Path staging = Path.of(".atrium-mkdir-" + UUID.randomUUID());
        try (Entry e = parent(p); SecureDirectoryStream<Path> root = open(p.fs, List.of())) {
            if (exists(e)) {
                throw new FileAlreadyExistsException(p.toString());
            }
            Files.createDirectory(p.fs.root.resolve(staging.toString()), attrs);
            try {
                root.move(staging, e.dir, e.name);
            } catch (IOException | RuntimeException failed) {
                root.deleteDirectory(staging);
                throw failed;
            }
        }
    }

    private static boolean exists(Entry e) throws IOException {
        try {
            e.dir.getFileAttributeView(e.name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
            return true;
        } catch (NoSuchFileException missing) {
            return false;
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        writable(path);
        try (Entry e = parent(path)) {
            if (e.dir.getFileAttributeView(e.name, BasicFileAttributeView.class, NOFOLLOW).readAttributes().isDirectory()) {
                e.dir.deleteDirectory(e.name);
            } else {
                e.dir.deleteFile(e.name); // a link itself may go: that reaches nothing
            }
        }
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) {
        throw new UnsupportedOperationException("WASI copies no files");
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        writable(source);
        try (Entry from = parent(source); Entry to = parent(target)) {
            if (!Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING) && exists(to)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            from.dir.move(from.name, to.dir, to.name); // renameat: atomic, and replaces what was there
        }
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        return path.equals(path2) || Objects.equals(stat(path).fileKey(), stat(path2).fileKey());
    }

    @Override
    public boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        return Files.getFileStore(ConfinedPath.of(path).fs.root);
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        PosixFileAttributes a = stat(path); // there, without following a link
        for (AccessMode mode : modes) {
            PosixFilePermission owner = switch (mode) {
                case READ -> PosixFilePermission.OWNER_READ;
                case WRITE -> PosixFilePermission.OWNER_WRITE;
                case EXECUTE -> PosixFilePermission.OWNER_EXECUTE;
            };
            if (!a.permissions().contains(owner)) {
                throw new AccessDeniedException(path.toString());
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        if (type != BasicFileAttributeView.class && type != PosixFileAttributeView.class) {
            return null;
        }
        return (V) new PosixFileAttributeView() {
            private PosixFileAttributeView view(Entry e) {
                return e.dir.getFileAttributeView(e.name, PosixFileAttributeView.class, NOFOLLOW);
            }

            @Override
            public String name() {
                return "posix";
            }

            @Override
            public PosixFileAttributes readAttributes() throws IOException {
                return stat(path);
            }

            @Override
            public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
                writable(path);
                try (Entry e = parent(path)) {
                    view(e).setTimes(lastModifiedTime, lastAccessTime, createTime);
                }
            }

            @Override
            public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
                writable(path);
                try (Entry e = parent(path)) {
                    view(e).setPermissions(perms);
                }
            }

            @Override
            public void setGroup(GroupPrincipal group) throws IOException {
                writable(path);
                try (Entry e = parent(path)) {
                    view(e).setGroup(group);
                }
            }

            @Override
            public UserPrincipal getOwner() throws IOException {
                return stat(path).owner();
            }

            @Override
            public void setOwner(UserPrincipal owner) throws IOException {
                writable(path);
                try (Entry e = parent(path)) {
                    view(e).setOwner(owner);
                }
            }
        };
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) throws IOException {
        if (type != BasicFileAttributes.class && type != PosixFileAttributes.class) {
            throw new UnsupportedOperationException(type.getName());
        }
        return (A) stat(path);
    }

    /**
     * The attributes as a map, as Chicory's WASI reads them ({@code unix:*}: device, inode, links,
     * change time, which Java reads only by the full path). The file is found without following links
     * first, then read by its full path, and the two must be the same file (device and inode): so
     * what is returned is never of a file a link swapped in meanwhile led to.
     */
    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        ConfinedPath p = ConfinedPath.of(path);
        Object key = stat(p).fileKey();
        Path host = p.fs.root;
        for (String name : p.names()) {
            host = host.resolve(name);
        }
        Map<String, Object> all = Files.readAttributes(host, "unix:*", NOFOLLOW);
        if (key == null || !key.equals(all.get("fileKey"))) {
            throw new FileSystemException(p.toString(), null, "changed while its attributes were read");
        }
        int colon = attributes.indexOf(':');
        String names = colon < 0 ? attributes : attributes.substring(colon + 1);
        if (names.equals("*")) {
            return all;
        }
        Map<String, Object> some = new LinkedHashMap<>();
        for (String name : names.split(",")) {
            if (all.containsKey(name)) {
                some.put(name, all.get(name));
            }
        }
        return some;
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) {
        throw new UnsupportedOperationException("WASI sets no attributes by name");
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        throw noLinks(link);
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        throw noLinks(link);
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        throw noLinks(link);
    }
}
