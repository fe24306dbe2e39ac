package io.atrium.transport.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests in lowercase hex, as manifests pin files ({@code sha256} fields) and {@code sha256sum} prints them. */
public final class Sha256 {
    private Sha256() {
    }

    /** @return the digest of the bytes */
    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** @return the digest of the file, read in blocks (a large executable is not loaded whole) */
    public static String of(Path file) throws IOException {
        MessageDigest sha = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 << 10];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** @return the one-line reason a pinned file is refused: "NAME has SHA-256 …, but the manifest pins …" */
    public static String mismatch(Object file, String actual, String pinned) {
        return file + " has SHA-256 " + actual + ", but the manifest pins " + pinned;
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
