package io.atrium.transport.wasm.files;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;

/**
 * A path of a {@link ConfinedFileSystem}: "/" is the granted folder. Only a name: its lexical
 * operations are those of the host's paths, and it reaches the host only through the provider.
 */
final class ConfinedPath implements Path {
    final ConfinedFileSystem fs;
    /** The same path as a host path, used for its lexical operations only, never to reach a file. */
    final Path lexical;

    ConfinedPath(ConfinedFileSystem fs, Path lexical) {
        this.fs = fs;
        this.lexical = lexical;
    }

    static ConfinedPath of(Path p, ConfinedFileSystem fs) {
        if (p instanceof ConfinedPath c && c.fs == fs) {
            return c;
        }
        throw new ProviderMismatchException("not a path of " + fs);
    }

    static ConfinedPath of(Path p) {
        if (p instanceof ConfinedPath c) {
            return c;
        }
        throw new ProviderMismatchException("not a path of a granted folder: " + p);
    }

    /** @return the names from the root to this file, ".." stopping at the root as it does at "/" */
    List<String> names() {
        Path absolute = Path.of("/").resolve(lexical).normalize();
        List<String> names = new ArrayList<>();
        for (Path name : absolute) {
            names.add(name.toString());
        }
        return names;
    }

    private Path wrap(Path p) {
        return p == null ? null : new ConfinedPath(fs, p);
    }

    @Override
    public ConfinedFileSystem getFileSystem() {
        return fs;
    }

    @Override
    public boolean isAbsolute() {
        return lexical.isAbsolute();
    }

    @Override
    public Path getRoot() {
        return wrap(lexical.getRoot());
    }

    @Override
    public Path getFileName() {
        return wrap(lexical.getFileName());
    }

    @Override
    public Path getParent() {
        return wrap(lexical.getParent());
    }

    @Override
    public int getNameCount() {
        return lexical.getNameCount();
    }

    @Override
    public Path getName(int index) {
        return wrap(lexical.getName(index));
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
        return wrap(lexical.subpath(beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
        return other instanceof ConfinedPath c && c.fs == fs && lexical.startsWith(c.lexical);
    }

    @Override
    public boolean endsWith(Path other) {
        return other instanceof ConfinedPath c && c.fs == fs && lexical.endsWith(c.lexical);
    }

    @Override
    public Path normalize() {
        return wrap(lexical.normalize());
    }

    @Override
    public Path resolve(Path other) {
        return wrap(lexical.resolve(of(other, fs).lexical));
    }

    @Override
    public Path resolve(String other) {
        return wrap(lexical.resolve(other));
    }

    @Override
    public Path relativize(Path other) {
        return wrap(lexical.relativize(of(other, fs).lexical));
    }

    @Override
    public URI toUri() {
        try {
            return new URI(ConfinedProvider.SCHEME, null, toAbsolutePath().toString(), null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Path toAbsolutePath() {
        return wrap(Path.of("/").resolve(lexical));
    }

    /** The path without "." and "..": links are never followed here, so there are none to resolve. */
    @Override
    public Path toRealPath(LinkOption... options) {
        return wrap(Path.of("/").resolve(lexical).normalize());
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int compareTo(Path other) {
        return lexical.compareTo(of(other, fs).lexical);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfinedPath c && c.fs == fs && c.lexical.equals(lexical);
    }

    @Override
    public int hashCode() {
        return lexical.hashCode();
    }

    @Override
    public String toString() {
        return lexical.toString();
    }
}
