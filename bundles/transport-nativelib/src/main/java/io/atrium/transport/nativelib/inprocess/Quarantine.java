package io.atrium.transport.nativelib.inprocess;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * The in-process libraries that were being called when the server died, kept on disk: each is refused at
 * every start until its library's bytes change, so a library that crashes the server does not crash it
 * again at the next start (no crash loop). One entry per plugin: the digest of the library it ran, and why.
 */
final class Quarantine {
    private final Path file;
    private final Properties entries = new Properties();

    Quarantine(Path file) {
        this.file = file;
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                entries.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** @return why the plugin's library of this digest is quarantined, or null (an entry for other bytes is dropped: the library changed) */
    synchronized String reason(String plugin, String digest) {
        String e = entries.getProperty(plugin);
        if (e == null) {
            return null;
        }
        int bar = e.indexOf('|');
        if (bar > 0 && digest.startsWith(e.substring(0, bar))) {
            return e.substring(bar + 1);
        }
        entries.remove(plugin);
        save();
        return null;
    }

    synchronized void add(String plugin, String digest, String why) {
        entries.setProperty(plugin, digest + "|" + why);
        save();
    }

    private void save() {
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".quarantine", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                entries.store(out, "in-process native plugins that were being called when the server died; each is refused until its library changes");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
