package io.atrium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** The deployer's look at a jar: the central directory and the manifest, never the other entries' data. */
class JarInspectionTest {
    private static final String MANIFEST = "Manifest-Version: 1.0\r\nBundle-ManifestVersion: 2\r\nBundle-SymbolicName: test.jar\r\n"
            + "Bundle-Version: 1.2.3\r\n\r\n";

    private static byte[] zip(String manifest, String entry, byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            z.write(manifest.getBytes(StandardCharsets.UTF_8));
            if (entry != null) {
                z.putNextEntry(new ZipEntry(entry));
                z.write(content);
            }
        }
        return out.toByteArray();
    }

    @Test
    void aJarWhoseLocalHeadersAndCentralDirectoryDisagreeIsRefused() throws IOException {
        byte[] jar = zip(MANIFEST, "a.txt", "plain".getBytes(StandardCharsets.UTF_8));
        assertNull(JarInspection.of(jar).refusal());
        // an entry a reader going entry by entry never reaches (it stops at bytes that are no local header)
        byte[] hidden = io.atrium.core.trust.ZipSurgery.append(jar, "b/Evil.class", new byte[] {1, 2, 3}, true);
        assertEquals("has bytes no entry accounts for before its entry b/Evil.class; what a reader going entry by entry sees is not what"
                + " the framework loads", JarInspection.of(hidden).refusal());
        assertNull(JarInspection.of(io.atrium.core.trust.ZipSurgery.append(jar, "b/Fine.class", new byte[] {1, 2, 3}, false)).refusal(),
                "the same entry where both readers see it");
        // a local header naming another entry than the central directory does
        byte[] renamed = jar.clone();
        renamed[indexOf(renamed, "a.txt".getBytes(StandardCharsets.UTF_8))] = 'b';
        assertEquals("has a local header that differs from its central directory for the entry a.txt (there it is named b.txt); what a"
                + " reader going entry by entry sees is not what the framework loads", JarInspection.of(renamed).refusal());
        // a second manifest after the first
        byte[] twice = io.atrium.core.trust.ZipSurgery.append(jar, "META-INF/MANIFEST.MF", MANIFEST.getBytes(StandardCharsets.UTF_8), false);
        assertEquals("holds the entry META-INF/MANIFEST.MF twice; which of the two the framework would read cannot be told",
                JarInspection.of(twice).refusal());
    }

    @Test
    void aFileThatDoesNotBeginLikeAZipIsRefusedAtOnceAndAJarCutShortIsWaitedFor() throws IOException {
        // a copy in progress is written from its start: text is no jar on its way, however young the file
        assertEquals("is not a valid jar: it is not a zip file", JarInspection.of("not a jar at all".getBytes()).refusal());
        assertEquals("is not a valid jar: it is not a zip file", JarInspection.of(new byte[] {0x50, 0x4b, 0x07}).refusal());
        byte[] jar = zip(MANIFEST, "a.txt", new byte[100]);
        for (int cut : new int[] {1, 3, 4, jar.length / 2, jar.length - 1}) {
            IOException e = assertThrows(IOException.class, () -> JarInspection.of(java.util.Arrays.copyOf(jar, cut)), "cut at " + cut);
            assertEquals("not a complete zip file (no end of central directory)", e.getMessage());
        }
    }

    @Test
    void otherEntriesAreNeverInflated() throws IOException {
        byte[] jar = zip(MANIFEST, "bomb.bin", new byte[8 << 20]);
        // spoil the bomb's deflate data in the middle: reading it would fail, and reading it is what took seconds
        int from = indexOf(jar, "bomb.bin".getBytes(StandardCharsets.UTF_8)) + 100;
        for (int i = from; i < from + 200; i++) {
            jar[i] = (byte) 0xFF;
        }
        JarInspection j = JarInspection.of(jar);
        assertNull(j.refusal());
        assertEquals("test.jar", j.bsn());
        assertEquals("1.2.3", j.version().toString());
    }

    @Test
    void aManifestThatInflatesBeyondItsLimitIsNotReadWhole() throws IOException {
        String huge = MANIFEST.replace("\r\n\r\n", "\r\nX-Padding: " + "x".repeat(60) + "\r\n") + "Name: a\r\n"
                + ("X-Padding: " + "x".repeat(60) + "\r\n").repeat(20_000) + "\r\n";
        IOException e = assertThrows(IOException.class, () -> JarInspection.of(zip(huge, null, null)));
        assertEquals("entry META-INF/MANIFEST.MF inflates to more than 1048576 bytes", e.getMessage());
    }

    @Test
    void anEntryNamedTwiceIsRefused() throws IOException {
        assertNull(JarInspection.of(zip(MANIFEST, "META-INF/MANIFEST.MG", new byte[3])).refusal());
        String refusal = JarInspection.of(duplicate()).refusal();
        assertEquals("holds the entry META-INF/MANIFEST.MF twice; which of the two the framework would read cannot be told", refusal);
    }

    /** A zip holding META-INF/MANIFEST.MF twice (ZipOutputStream refuses to write one: patched after writing). */
    private static byte[] duplicate() throws IOException {
        byte[] jar = zip(MANIFEST, "META-INF/MANIFEST.MG", new byte[3]);
        String text = new String(jar, StandardCharsets.ISO_8859_1).replace("META-INF/MANIFEST.MG", "META-INF/MANIFEST.MF");
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int indexOf(byte[] h, byte[] n) {
        outer:
        for (int i = 0; i <= h.length - n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (h[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
