package io.atrium.core.deploy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/**
 * What a jar's bytes say about it as a plugin: its identity, or the one-line reason it cannot be one.
 *
 * @param bsn     the Bundle-SymbolicName (without directives), or null when refused
 * @param version the Bundle-Version, or null when refused
 * @param refusal why the jar cannot be installed, or null
 * @param signed  whether the jar carries signature files (META-INF/*.SF): whether they hold is the trust policy's to check
 * @param host    the symbolic name of the bundle this one is a fragment of, or null when it is no fragment
 */
record JarInspection(String bsn, Version version, String refusal, boolean signed, String host) {
    /** Packages a plugin must import from the server, never carry itself. */
    static final String API_PACKAGE = "io.atrium.api";

    static JarInspection refused(String reason) {
        return new JarInspection(null, null, reason, false, null);
    }

    boolean ok() {
        return refusal == null;
    }

    /**
     * @param bytes a complete copy of the file (so what is inspected is what gets installed)
     * @return the inspection; a zip that cannot be read is reported as {@link #unreadable} by the caller
     * @throws IOException when the bytes are not a readable zip or jar
     */
    static JarInspection of(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new IOException("the file is empty");
        }
        // ZipFile needs a file; JarInputStream reads local headers, so check the central directory's end
        // record first: a jar still being copied has none yet.
        if (!hasEndOfCentralDirectory(bytes)) {
            throw new IOException("not a complete zip file (no end of central directory)");
        }
        Manifest manifest;
        String embeddedApi = null;
        boolean signed = false;
        try (JarInputStream jar = new JarInputStream(new ByteArrayInputStream(bytes), false)) { // signatures: TrustPolicy
            manifest = jar.getManifest();
            for (ZipEntry e; (e = jar.getNextEntry()) != null; ) {
                String upper = e.getName().toUpperCase(java.util.Locale.ROOT);
                signed |= upper.startsWith("META-INF/") && upper.endsWith(".SF") && upper.indexOf('/', 9) < 0;
                if (embeddedApi == null && e.getName().startsWith("io/atrium/api/") && e.getName().endsWith(".class")) {
                    String name = e.getName();
                    embeddedApi = name.substring(0, name.lastIndexOf('/')).replace('/', '.');
                }
            }
        }
        if (manifest == null) {
            return refused("has no META-INF/MANIFEST.MF: not an OSGi bundle");
        }
        Attributes main = manifest.getMainAttributes();
        String bsnHeader = main.getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsnHeader == null || bsnHeader.isBlank()) {
            return refused("has no Bundle-SymbolicName: not an OSGi bundle");
        }
        if (!"2".equals(trim(main.getValue(Constants.BUNDLE_MANIFESTVERSION)))) {
            return refused("has an OSGi R3 manifest (no Bundle-ManifestVersion: 2); rebuild it with bnd");
        }
        String bsn = bsnHeader.split(";")[0].trim();
        Version version;
        try {
            version = Version.parseVersion(trim(main.getValue(Constants.BUNDLE_VERSION)));
        } catch (IllegalArgumentException e) {
            return refused("has an invalid Bundle-Version '" + main.getValue(Constants.BUNDLE_VERSION) + "'");
        }
        String exports = main.getValue(Constants.EXPORT_PACKAGE);
        if (exports != null && exportsApi(exports)) {
            return refused("exports its own copy of Atrium's API (" + API_PACKAGE + "...); a plugin must import it");
        }
        if (embeddedApi != null && !imports(main.getValue(Constants.IMPORT_PACKAGE), embeddedApi)) {
            return refused("embeds its own copy of " + embeddedApi + " instead of importing it; consumers would never see its services");
        }
        String host = null;
        String fragmentHost = main.getValue(Constants.FRAGMENT_HOST);
        if (fragmentHost != null) {
            host = fragmentHost.split(";")[0].trim();
            // A framework extension runs as part of the framework: removing it stops the whole server.
            if (Constants.SYSTEM_BUNDLE_SYMBOLICNAME.equals(host) || fragmentHost.replace(" ", "").contains(Constants.EXTENSION_DIRECTIVE + ":=")) {
                return refused("is a framework extension (Fragment-Host: " + fragmentHost.trim() + "); a plugin cannot extend the framework");
            }
        }
        return new JarInspection(bsn, version, null, signed, host);
    }

    private static boolean exportsApi(String exports) {
        for (String clause : exports.split(",")) {
            String pkg = clause.split(";")[0].trim();
            if (pkg.equals(API_PACKAGE) || pkg.startsWith(API_PACKAGE + ".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean imports(String imports, String pkg) {
        if (imports == null) {
            return false;
        }
        for (String clause : imports.split(",")) {
            if (clause.split(";")[0].trim().equals(pkg)) {
                return true;
            }
        }
        return false;
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }

    /** The end-of-central-directory record (PK\5\6) lies within the last 64 KiB + 22 bytes. */
    private static boolean hasEndOfCentralDirectory(byte[] b) {
        int stop = Math.max(0, b.length - 65_557);
        for (int i = b.length - 22; i >= stop; i--) {
            if (b[i] == 0x50 && b[i + 1] == 0x4b && b[i + 2] == 0x05 && b[i + 3] == 0x06) {
                return true;
            }
        }
        return false;
    }
}
