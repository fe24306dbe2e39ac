package io.atrium.core.deploy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
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
    /** A manifest inflating to more than this is refused: no real one comes near. */
    static final int MAX_MANIFEST_BYTES = 1 << 20;
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
        // A jar still being copied has no end-of-central-directory record yet: said apart from a damaged one.
        // A copy is written from its start, so a file that does not begin like a zip is no jar in progress.
        if (!hasEndOfCentralDirectory(bytes)) {
            if (!beginsLikeAZip(bytes)) {
                return refused("is not a valid jar: it is not a zip file");
            }
            throw new IOException("not a complete zip file (no end of central directory)");
        }
        Manifest manifest = null;
        String embeddedApi = null;
        boolean signed = false;
        // Names and sizes come from the central directory, and only the manifest is inflated: a jar of a
        // few MB may inflate to gigabytes (a zip bomb), which reading every entry would hold the deployer for.
        java.util.Set<String> names = new java.util.HashSet<>();
        java.util.List<CentralEntry> entries = CentralEntry.all(bytes);
        String disagreement = CentralEntry.localDisagreement(bytes, entries);
        if (disagreement != null) {
            return refused(disagreement);
        }
        for (CentralEntry e : entries) {
            if (!names.add(e.name())) {
                return refused("holds the entry " + e.name() + " twice; which of the two the framework would read cannot be told");
            }
            String upper = e.name().toUpperCase(java.util.Locale.ROOT);
            signed |= upper.startsWith("META-INF/") && upper.endsWith(".SF") && upper.indexOf('/', 9) < 0;
            if (embeddedApi == null && e.name().startsWith("io/atrium/api/") && e.name().endsWith(".class")) {
                embeddedApi = e.name().substring(0, e.name().lastIndexOf('/')).replace('/', '.');
            }
            if (e.name().equals("META-INF/MANIFEST.MF")) { // the exact name, as the framework looks it up
                manifest = new Manifest(new ByteArrayInputStream(e.content(bytes, MAX_MANIFEST_BYTES)));
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
    /** Whether the bytes begin with a zip's local file header, or with as much of one as there is. */
    private static boolean beginsLikeAZip(byte[] b) {
        byte[] header = {0x50, 0x4b, 0x03, 0x04};
        for (int i = 0; i < Math.min(b.length, header.length); i++) {
            if (b[i] != header[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasEndOfCentralDirectory(byte[] b) {
        int stop = Math.max(0, b.length - 65_557);
        for (int i = b.length - 22; i >= stop; i--) {
            if (b[i] == 0x50 && b[i + 1] == 0x4b && b[i + 2] == 0x05 && b[i + 3] == 0x06) {
                return true;
            }
        }
        return false;
    }

    /**
     * One entry of a zip's central directory, which is what Felix (through {@code ZipFile}) loads from.
     *
     * @param name   the entry's name
     * @param flags  its general purpose flags (bit 3: sizes and CRC follow the data, not in the local header)
     * @param method 0 stored, 8 deflated
     * @param crc    its CRC-32
     * @param compressed its compressed size
     * @param size   its size as declared
     * @param offset where its local header starts
     */
    record CentralEntry(String name, int flags, int method, long crc, long compressed, long size, long offset) {
        private static int endOfCentralDirectory(byte[] b) throws IOException {
            for (int i = b.length - 22, stop = Math.max(0, b.length - 65_557); i >= stop; i--) {
                if (u32(b, i) == 0x06054b50L) {
                    return i;
                }
            }
            throw new IOException("not a complete zip file (no end of central directory)");
        }

        /** @throws IOException when the central directory cannot be read (cut short, ZIP64, inconsistent) */
        static java.util.List<CentralEntry> all(byte[] b) throws IOException {
            int end = endOfCentralDirectory(b);
            int count = u16(b, end + 10);
            long size = u32(b, end + 12);
            long start = u32(b, end + 16);
            if (count == 0xFFFF || size == 0xFFFFFFFFL || start == 0xFFFFFFFFL) {
                throw new IOException("a ZIP64 archive, which a plugin jar never needs to be");
            }
            if (start + size > end) {
                throw new IOException("its central directory lies outside the file");
            }
            java.util.List<CentralEntry> entries = new java.util.ArrayList<>(count);
            int at = (int) start;
            for (int n = 0; n < count; n++) {
                if (at + 46 > end || u32(b, at) != 0x02014b50L) {
                    throw new IOException("its central directory is damaged at entry " + (n + 1));
                }
                int nameLength = u16(b, at + 28);
                int skip = nameLength + u16(b, at + 30) + u16(b, at + 32);
                if (at + 46 + skip > end) {
                    throw new IOException("its central directory is damaged at entry " + (n + 1));
                }
                String name = new String(b, at + 46, nameLength, java.nio.charset.StandardCharsets.UTF_8);
                entries.add(new CentralEntry(name, u16(b, at + 8), u16(b, at + 10), u32(b, at + 16), u32(b, at + 20), u32(b, at + 24),
                        u32(b, at + 42)));
                at += 46 + skip;
            }
            return entries;
        }

        /**
         * The framework loads through the central directory; a reader going entry by entry from the start
         * (JarInputStream, which signature tools and scanners use) sees the local headers. Both must be the
         * same entries: each local header where the central directory says, with the same name, method and
         * sizes, one right after the other from the first byte to the central directory, nothing hidden between.
         *
         * @return why the two views of the jar differ, or null when they agree
         */
        static String localDisagreement(byte[] b, java.util.List<CentralEntry> entries) throws IOException {
            long centralStart = u32(b, endOfCentralDirectory(b) + 16);
            java.util.List<CentralEntry> inFileOrder = new java.util.ArrayList<>(entries);
            inFileOrder.sort(java.util.Comparator.comparingLong(CentralEntry::offset));
            long at = 0;
            for (CentralEntry e : inFileOrder) {
                if (e.offset != at) {
                    return "has " + (e.offset > at ? "bytes no entry accounts for" : "entries overlapping") + " before its entry " + e.name
                            + "; what a reader going entry by entry sees is not what the framework loads";
                }
                if (at + 30 > centralStart || u32(b, (int) at) != 0x04034b50L) {
                    return "has no local header for its entry " + e.name + " where its central directory says";
                }
                int nameLength = u16(b, (int) at + 26);
                long data = at + 30 + nameLength + u16(b, (int) at + 28);
                String local = data > centralStart ? null : new String(b, (int) at + 30, nameLength, java.nio.charset.StandardCharsets.UTF_8);
                boolean sizesLater = (u16(b, (int) at + 6) & 8) != 0;
                if (!e.name.equals(local) || u16(b, (int) at + 8) != e.method || sizesLater != ((e.flags & 8) != 0)
                        || !sizesLater && (u32(b, (int) at + 14) != e.crc || u32(b, (int) at + 18) != e.compressed || u32(b, (int) at + 22) != e.size)) {
                    return "has a local header that differs from its central directory for the entry " + e.name
                            + (local != null && !local.equals(e.name) ? " (there it is named " + local + ")" : "")
                            + "; what a reader going entry by entry sees is not what the framework loads";
                }
                at = data + e.compressed;
                if (sizesLater) { // the data descriptor, with or without its signature
                    at += at + 4 <= centralStart && u32(b, (int) at) == 0x08074b50L ? 16 : 12;
                }
            }
            if (at != centralStart) {
                return "has bytes no entry accounts for before its central directory; what a reader going entry by entry sees is not"
                        + " what the framework loads";
            }
            return null;
        }

        /** @return the entry's bytes, inflated to at most {@code limit} bytes */
        byte[] content(byte[] b, int limit) throws IOException {
            if (offset + 30 > b.length || u32(b, (int) offset) != 0x04034b50L) {
                throw new IOException("entry " + name + " has no local header where the central directory says");
            }
            long data = offset + 30 + u16(b, (int) offset + 26) + u16(b, (int) offset + 28);
            if (data + compressed > b.length) {
                throw new IOException("entry " + name + " is cut short");
            }
            if (method == 0) {
                if (compressed > limit) {
                    throw new IOException("entry " + name + " is larger than " + limit + " bytes");
                }
                return java.util.Arrays.copyOfRange(b, (int) data, (int) (data + compressed));
            }
            if (method != 8) {
                throw new IOException("entry " + name + " is compressed with method " + method + ", which Java cannot read");
            }
            java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
            try {
                inflater.setInput(b, (int) data, (int) compressed);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                while (!inflater.finished()) {
                    int n = inflater.inflate(buf);
                    if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        throw new IOException("entry " + name + " is cut short");
                    }
                    out.write(buf, 0, n);
                    if (out.size() > limit) {
                        throw new IOException("entry " + name + " inflates to more than " + limit + " bytes");
                    }
                }
                return out.toByteArray();
            } catch (java.util.zip.DataFormatException e) {
                throw new IOException("entry " + name + " is not valid deflate data: " + e.getMessage());
            } finally {
                inflater.end();
            }
        }

        private static int u16(byte[] b, int i) {
            return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
        }

        private static long u32(byte[] b, int i) {
            return ((long) u16(b, i)) | ((long) u16(b, i + 2)) << 16;
        }
    }
}
