package io.atrium.core.deploy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;

/**
 * The small properties files the deployer keeps in the core's data area (what it deployed, what it is
 * starting, who killed the server), and the framework properties that tune it: read and written one way.
 */
final class StateFiles {
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");

    private StateFiles() {
    }

    /** @return the file's properties, empty when it is missing or unreadable (said once in the log) */
    static Properties load(BundleContext context, String name) {
        File f = context.getDataFile(name);
        return load(f == null ? null : f.toPath());
    }

    /** @return the file's properties, empty when it is missing (or null) or unreadable (said once in the log) */
    static Properties load(Path f) {
        Properties p = new Properties();
        if (f != null && Files.isRegularFile(f)) {
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            } catch (IOException | IllegalArgumentException e) {
                LOG.warning("cannot read " + f + " (" + e.getMessage() + "); it is taken as empty");
            }
        }
        return p;
    }

    static void store(BundleContext context, String name, Properties p) {
        File f = context.getDataFile(name);
        store(f == null ? null : f.toPath(), p);
    }

    /** Written whole under another name, then moved: a crash leaves the old file or the new, never half. Null: not kept. */
    static void store(Path f, Properties p) {
        if (f == null) {
            return;
        }
        Path tmp = f.resolveSibling(f.getFileName() + ".new");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, null);
            }
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warning("cannot write " + f + ": " + e.getMessage());
        }
    }

    /** @return a file of the core's data area, or null when the framework has no file system */
    static Path dataFile(BundleContext context, String name) {
        File f = context.getDataFile(name);
        return f == null ? null : f.toPath();
    }

    static void delete(BundleContext context, String name) {
        File f = context.getDataFile(name);
        if (f != null) {
            try {
                Files.deleteIfExists(f.toPath());
            } catch (IOException e) {
                LOG.warning("cannot delete " + f + ": " + e.getMessage());
            }
        }
    }

    /** @return a framework property as a number, or the fallback when it is unset or not a number (said in the log) */
    static long longProperty(BundleContext context, String name, long fallback) {
        String v = context.getProperty(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            LOG.warning("framework property " + name + " is not a number ('" + v + "'); " + fallback + " is used");
            return fallback;
        }
    }
}
