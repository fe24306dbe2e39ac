package io.atrium.core.guard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/**
 * What Felix loads a bundle's current revision from, read from its cache ({@code STORAGE/bundleN/}): the
 * newest revision folder {@code versionR.M}, whose {@code revision.location} says where the content is. A
 * bundle installed from a stream or a URL is copied into that folder's {@code bundle.jar}; one installed
 * {@code reference:file:…} is loaded where it lies, a jar or a folder.
 *
 * @param file      the jar (or folder) Felix loads
 * @param revision  the revision folder, where Felix also extracts inner jars and native libraries
 * @param reference whether Felix loads it in place, outside its cache
 */
record CachedContent(Path file, Path revision, boolean reference) {
    private static final String JAR = "bundle.jar";
    private static final String LOCATION = "revision.location";
    private static final String REFERENCE = "reference:";

    /**
     * @param storage the framework's storage folder ({@code org.osgi.framework.storage})
     * @param id      the bundle's id
     * @return where its current revision's content is
     * @throws IOException when the cache does not say (then nothing can be judged)
     */
    static CachedContent of(Path storage, long id) throws IOException {
        Path archive = storage.resolve("bundle" + id);
        Path newest = null;
        try (DirectoryStream<Path> revisions = Files.newDirectoryStream(archive, "version*")) {
            Comparator<Path> order = Comparator.comparingLong((Path p) -> number(p, 0)).thenComparingLong(p -> number(p, 1));
            for (Path r : revisions) {
                if (number(r, 0) >= 0 && number(r, 1) >= 0 && Files.isRegularFile(r.resolve(LOCATION))
                        && (newest == null || order.compare(r, newest) > 0)) {
                    newest = r;
                }
            }
        }
        if (newest == null) {
            throw new IOException("the framework's cache " + archive + " holds no revision of it");
        }
        String location = Files.readString(newest.resolve(LOCATION), StandardCharsets.UTF_8).strip();
        if (!location.startsWith(REFERENCE)) {
            return new CachedContent(newest.resolve(JAR), newest, false);
        }
        String url = location.substring(REFERENCE.length());
        if (!url.startsWith("file:")) {
            throw new IOException("it is installed by reference to " + url + ", which is no file");
        }
        // Felix decodes %XX in a reference, and takes the rest as a path: file:/a/b or file:a/b
        String path = java.net.URLDecoder.decode(url.substring("file:".length()).replace("+", "%2B"), StandardCharsets.UTF_8);
        return new CachedContent(Path.of(path).toAbsolutePath(), newest, true);
    }

    /** @return the R or M of {@code versionR.M}, or -1 */
    private static long number(Path revision, int which) {
        String[] parts = revision.getFileName().toString().substring("version".length()).split("\\.");
        try {
            return parts.length == 2 ? Long.parseLong(parts[which]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** @return size, modification time and inode of the content: another value means other bytes may be there */
    String stamp() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return file + ":" + a.size() + ":" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + ":" + a.fileKey();
        } catch (IOException e) {
            return file + ":gone";
        }
    }

    /**
     * Felix extracts a bundle's inner jars and native libraries into its revision folder once, and uses an
     * extracted copy it finds there without reading the jar again: removed before the jar's first
     * resolution in this run, they are extracted again from the jar that was judged.
     */
    void dropExtracted() throws IOException {
        try (DirectoryStream<Path> extracted = Files.newDirectoryStream(revision, "*-{embedded,lib}")) {
            for (Path dir : extracted) {
                try (var tree = Files.walk(dir)) {
                    for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }
}
