package io.atrium.transport.support;

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
 * modification time and file key, and by the names a revocation folder holds: a few {@code stat}
 * calls per check.
 */
public final class TrustFiles {
    private final Map<String, Object> config;
    private final String atriumHome;
    private volatile Loaded loaded;

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
        return loaded.store();
    }

    private Loaded load() {
        List<Object> before = stamp();
        // stamped before reading: a file changed while it is read shows as changed at the next check
        return new Loaded(TrustStore.of(config, atriumHome), before);
    }

    /** What the files look like now: a change of any of them changes this. */
    private List<Object> stamp() {
        List<Object> stamp = new ArrayList<>();
        Object configured = config.get("trustStore");
        String text = configured == null ? "" : configured.toString().strip();
        Path store = !text.isEmpty() ? Path.of(text) : atriumHome == null ? null : Path.of(atriumHome, "etc", "truststore.p12");
        if (store != null) {
            stamp.add(of(store));
        }
        for (Path place : TrustStore.revocationPlaces(config, atriumHome)) {
            stamp.add(of(place));
            if (Files.isDirectory(place)) {
                try (var listing = Files.list(place)) {
                    listing.filter(f -> f.getFileName().toString().endsWith(".crl")).sorted().forEach(f -> stamp.add(of(f)));
                } catch (IOException e) {
                    stamp.add(e.toString());
                }
            }
        }
        return stamp;
    }

    private static List<Object> of(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class); // follows links, as reading does
            return List.of(file.toString(), a.size(), a.lastModifiedTime(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            boolean link = Files.isSymbolicLink(file);
            return List.of(file.toString(), link ? "dangling link" : Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? e.toString() : "missing");
        }
    }
}
