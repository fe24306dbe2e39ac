package io.atrium.core.trust;

import io.atrium.transport.support.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The trust store and revocation lists of a configuration, read again whenever their files change:
 * a CRL dropped into the revocation folder, or a trust store replaced, counts from the next check on,
 * without the configuration itself changing (an operator who revokes a key must not have to know
 * that a configuration must be touched too). Whether they changed is judged by each file's size,
 * modification time, file key, readability and (up to 1 MiB) SHA-256, and by the names a revocation
 * folder holds: a few {@code stat} calls and a hash of a few KiB per check.
 */
final class TrustFiles {
    private final Map<String, Object> config;
    private final String atriumHome;
    private volatile Loaded loaded;
    /** Grows at every read after the first: whoever judged with an older one judges again. */
    private volatile long generation;

    private record Loaded(TrustStore store, List<Object> stamp) {
    }

    /**
     * @param config     the configuration's properties ({@code trustStore}, {@code trustStorePassword}, {@code revocationLists})
     * @param atriumHome the distribution's folder (the defaults are under it), or null
     */
    public TrustFiles(Map<String, Object> config, String atriumHome) {
        this.config = Map.copyOf(config);
        this.atriumHome = atriumHome;
        this.loaded = load();
    }

    /** @return the store as its files are now (read again if they changed since the last call) */
    public TrustStore current() {
        refresh();
        return loaded.store();
    }

    /**
     * Reads the files again if they changed.
     *
     * @return the store read now, or null when nothing changed
     */
    public synchronized TrustStore refresh() {
        if (stamp().equals(loaded.stamp())) {
            return null;
        }
        loaded = load();
        generation++;
        return loaded.store();
    }

    /** @return how often the files were read again since they were first read (a change seen by anyone raises it) */
    public long generation() {
        return generation;
    }

    private Loaded load() {
        List<Object> before = stamp();
        // stamped before reading: a file changed while it is read shows as changed at the next check
        return new Loaded(TrustStore.of(config, atriumHome), before);
    }

    /** What the files look like now: a change of any of them changes this. */
    private List<Object> stamp() {
        List<Object> stamp = new ArrayList<>();
        List<Path> places;
        try {
            Path store = TrustStore.storePath(config, atriumHome);
            if (store != null) {
                stamp.add(of(store));
            }
            places = TrustStore.revocationPlaces(config, atriumHome);
        } catch (IllegalArgumentException invalid) {
            stamp.add(invalid.getMessage()); // as read: the store says what is wrong
            return stamp;
        }
        for (Path place : places) {
            stamp.add(of(place));
            if (Files.isDirectory(place)) {
                try (var listing = Files.list(place)) {
                    listing.filter(f -> f.getFileName().toString().endsWith(".crl")).sorted().forEach(f -> stamp.add(of(f)));
                } catch (IOException | java.io.UncheckedIOException e) { // the latter: an entry unreadable while listed
                    stamp.add(e.toString());
                }
            }
        }
        return stamp;
    }

    /** Files this small are also hashed: a list rewritten within one time-stamp tick, or restored with its old time, is seen. */
    private static final long HASHED_UP_TO = 1 << 20;

    private static List<Object> of(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class); // follows links, as reading does
            Object content = !a.isRegularFile() ? "" : !Files.isReadable(file) ? "unreadable"
                    : a.size() <= HASHED_UP_TO ? Sha256.of(file) : "large";
            return List.of(file.toString(), a.size(), a.lastModifiedTime(), String.valueOf(a.fileKey()), content);
        } catch (IOException e) {
            boolean link = Files.isSymbolicLink(file);
            return List.of(file.toString(), link ? "dangling link" : Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? e.toString() : "missing");
        }
    }
}
