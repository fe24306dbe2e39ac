package io.atrium.runtime.internal;

import io.atrium.runtime.AtriumException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
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

    /** One line of the index. */
    public record Entry(String file, int startLevel, boolean console) {
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
                entries.add(new Entry(parts[0], console ? 3 : Integer.parseInt(parts[1]), console));
            }
        } catch (IOException e) {
            throw new AtriumException("cannot read " + INDEX + ": " + e.getMessage(), e);
        }
        return entries;
    }

    /**
     * Installs or updates one part of the base set: the server's bundles, marked to start, or the
     * console's, which are only installed when a console is wanted (and started transiently).
     *
     * @param context the system bundle's context
     * @param digests where the digest of each installed base jar is remembered between runs
     * @param console true for the console's bundles, false for the rest
     * @return the bundles of that part
     */
    public static List<Bundle> install(BundleContext context, Path digests, boolean console) {
        Properties known = new Properties();
        if (Files.isRegularFile(digests)) {
            try (InputStream in = Files.newInputStream(digests)) {
                known.load(in);
            } catch (IOException e) {
                known.clear(); // unreadable: every base bundle is updated once, which is safe
            }
        }
        // The same runtime jar as last time: every base bundle is in the cache as it was; skip hashing.
        String stampKey = RUNTIME_JAR + (console ? ".console" : ".server");
        String runtimeJar = runtimeJarStamp();
        boolean unchanged = runtimeJar != null && runtimeJar.equals(known.getProperty(stampKey));
        Properties now = new Properties();
        now.putAll(known);
        if (runtimeJar != null) {
            now.setProperty(stampKey, runtimeJar);
        }
        List<Bundle> bundles = new ArrayList<>();
        for (Entry entry : index()) {
            if (entry.console() != console) {
                continue;
            }
            String location = LOCATION_PREFIX + entry.file();
            try {
                Bundle bundle = context.getBundle(location);
                if (bundle == null || !unchanged || known.getProperty(location) == null) {
                    byte[] jar = read(entry.file());
                    String digest = sha256(jar);
                    now.setProperty(location, digest);
                    if (bundle == null) {
                        bundle = context.installBundle(location, new java.io.ByteArrayInputStream(jar));
                    } else if (!digest.equals(known.getProperty(location))) {
                        bundle.update(new java.io.ByteArrayInputStream(jar));
                    }
                }
                bundle.adapt(BundleStartLevel.class).setStartLevel(entry.startLevel());
                if (!console && bundle.getHeaders("").get("Fragment-Host") == null) {
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

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
