package io.atrium.runtime.internal;

import io.atrium.runtime.AtriumException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * Installs Atrium's base set from the runtime jar (atrium/base/bundles.list), once: on later
 * starts the framework's cache already holds them and only changed jars are updated.
 */
public final class BaseBundles {
    /** Location prefix of the base set, so they are never confused with plugins. */
    public static final String LOCATION_PREFIX = "atrium:base/";
    private static final String INDEX = "/atrium/base/bundles.list";
    private static final String RUNTIME_JAR = "runtime.jar";

    /**
     * One line of the index.
     *
     * @param late started just after the server is ready, on another thread (the HTTP server and
     *             the web API: what plugins and the shell do not wait for)
     */
    public record Entry(String file, int startLevel, boolean console, boolean late) {
    }

    private BaseBundles() {
    }

    public static List<Entry> index() {
        List<Entry> entries = new ArrayList<>();
        try (InputStream in = BaseBundles.class.getResourceAsStream(INDEX)) {
            if (in == null) {
                throw new AtriumException("the runtime jar has no " + INDEX + "; it was not built with Maven");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+");
                boolean console = parts[1].equals("console");
                boolean late = parts[1].equals("late");
                entries.add(new Entry(parts[0], console ? 3 : late ? 2 : Integer.parseInt(parts[1]), console, late));
            }
        } catch (IOException e) {
            throw new AtriumException("cannot read " + INDEX + ": " + e.getMessage(), e);
        }
        return entries;
    }

    /** The parts of the base set, installed at different moments. */
    public enum Part {
        /** Installed before the framework starts, marked to start with it. */
        SERVER,
        /** Installed and started just after the server is ready, on another thread. */
        LATE,
        /** Installed only when a console is wanted, started transiently. */
        CONSOLE
    }

    /**
     * Installs or updates one part of the base set. Parts may be installed from different threads
     * (the late part beside the console's): they take turns, as they share the digests file.
     *
     * @param context the system bundle's context
     * @param digests where the digest of each installed base jar is remembered between runs
     * @param part    which part
     * @return the bundles of that part
     */
    public static synchronized List<Bundle> install(BundleContext context, Path digests, Part part) {
        boolean console = part == Part.CONSOLE;
        Properties known = new Properties();
        if (Files.isRegularFile(digests)) {
            try (InputStream in = Files.newInputStream(digests)) {
                known.load(in);
            } catch (IOException e) {
                known.clear(); // unreadable: every base bundle is updated once, which is safe
            }
        }
        // The same runtime jar as last time: every base bundle is in the cache as it was; skip hashing.
        String stampKey = RUNTIME_JAR + "." + part.name().toLowerCase(java.util.Locale.ROOT);
        String runtimeJar = runtimeJarStamp();
        boolean unchanged = runtimeJar != null && runtimeJar.equals(known.getProperty(stampKey));
        Properties now = new Properties();
        now.putAll(known);
        if (runtimeJar != null) {
            now.setProperty(stampKey, runtimeJar);
        }
        List<Bundle> bundles = new ArrayList<>();
        for (Entry entry : index()) {
            if (part != (entry.console() ? Part.CONSOLE : entry.late() ? Part.LATE : Part.SERVER)) {
                continue;
            }
            String location = LOCATION_PREFIX + entry.file();
            try {
                Bundle bundle = context.getBundle(location);
                if (bundle == null || !unchanged || known.getProperty(location) == null) {
                    byte[] jar = read(entry.file());
                    String digest = fingerprint(jar);
                    now.setProperty(location, digest);
                    if (bundle == null) {
                        bundle = context.installBundle(location, new java.io.ByteArrayInputStream(jar));
                    } else if (!digest.equals(known.getProperty(location))) {
                        bundle.update(new java.io.ByteArrayInputStream(jar));
                    }
                }
                BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
                level.setStartLevel(entry.startLevel());
                if (entry.late()) {
                    if (level.isPersistentlyStarted()) {
                        bundle.stop(); // a cache from before it was late: only started by startLate from now on
                    }
                } else if (part == Part.SERVER && bundle.getHeaders("").get("Fragment-Host") == null) {
                    bundle.start(Bundle.START_ACTIVATION_POLICY);
                }
                bundles.add(bundle);
            } catch (BundleException e) {
                throw new AtriumException("base bundle " + entry.file() + " failed to install: " + e.getMessage(), e);
            }
        }
        if (!now.equals(known)) {
            try {
                Files.createDirectories(digests.getParent());
                try (var out = Files.newOutputStream(digests)) {
                    now.store(out, "digests of the installed base bundles");
                }
            } catch (IOException e) {
                throw new AtriumException("cannot write " + digests + ": " + e.getMessage(), e);
            }
        }
        return bundles;
    }

    /**
     * Installs (when new or changed) and starts the late part of the base set, transiently: every
     * server start does it again.
     *
     * @return the bundles that failed to start, with the reason
     */
    public static List<String> startLate(BundleContext context, Path digests) {
        List<String> failures = new ArrayList<>();
        for (Bundle bundle : install(context, digests, Part.LATE)) {
            if (bundle.getHeaders("").get("Fragment-Host") == null) {
                try {
                    bundle.start(Bundle.START_TRANSIENT | Bundle.START_ACTIVATION_POLICY);
                } catch (BundleException | IllegalStateException e) {
                    failures.add(bundle.getLocation().substring(LOCATION_PREFIX.length()) + ": " + e.getMessage());
                }
            }
        }
        return failures;
    }

    /** @return the locations of the late part of the base set (read from the index once, not per bundle) */
    public static java.util.Set<String> lateLocations() {
        return index().stream().filter(Entry::late).map(e -> LOCATION_PREFIX + e.file()).collect(java.util.stream.Collectors.toSet());
    }

    /** @return path, size and modification time of the jar holding the base set, or null when not run from a jar */
    private static String runtimeJarStamp() {
        try {
            Path jar = Path.of(BaseBundles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(jar)) {
                return null;
            }
            return jar + ";" + Files.size(jar) + ";" + Files.getLastModifiedTime(jar).toMillis();
        } catch (IOException | java.net.URISyntaxException | SecurityException e) {
            return null;
        }
    }

    private static byte[] read(String file) {
        try (InputStream in = BaseBundles.class.getResourceAsStream("/atrium/base/" + file)) {
            if (in == null) {
                throw new AtriumException("base bundle " + file + " is missing from the runtime jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AtriumException("cannot read base bundle " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Tells one build of a base jar from another: its size and CRC-32C. Not a security check (the jar
     * comes from the runtime jar itself), so not SHA-256, which cost a cold start ~20 ms of hashing.
     */
    private static String fingerprint(byte[] data) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data);
        return data.length + "-" + Long.toHexString(crc.getValue());
    }

}
