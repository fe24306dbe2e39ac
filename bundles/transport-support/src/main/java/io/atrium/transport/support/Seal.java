package io.atrium.transport.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tells a file the server wrote from one put in its place while it was stopped, without hashing it
 * against a pin: an HMAC-SHA256 over the file's name and bytes, under a random key kept owner-only
 * (0600) in the bundle's data folder and made at first use. Whoever can read the key can forge a seal,
 * so this guards against files written by anyone who cannot (another user, a copied or restored data
 * folder), not against the server's own user, who could replace the server itself.
 */
public final class Seal {
    /** The bytes of a seal. */
    public static final int LENGTH = 32;
    private static final Logger LOG = Logger.getLogger("io.atrium.trust");
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private final Path keyFile;
    private SecretKeySpec key; // read or made at first use

    /** @param keyFile where the key is kept, e.g. the bundle's {@code getDataFile("seal.key")} */
    public Seal(Path keyFile) {
        this.keyFile = keyFile;
    }

    /**
     * @param name what the data is (its cache key, its path): a seal made for one name never matches another
     * @return the seal of the data under that name, {@link #LENGTH} bytes
     * @throws IOException when the key can be neither read nor made
     */
    public byte[] of(String name, byte[] data) throws IOException {
        Mac mac = mac();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(n.length).array()); // the name's length first: no name runs into the data
        mac.update(n);
        mac.update(data);
        return mac.doFinal();
    }

    /** @return whether {@code seal} is the seal of the data under that name (compared in constant time) */
    public boolean matches(String name, byte[] data, byte[] seal) throws IOException {
        return seal != null && seal.length == LENGTH && MessageDigest.isEqual(of(name, data), seal);
    }

    private Mac mac() throws IOException {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key());
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java platform has HmacSHA256", e);
        }
    }

    private synchronized SecretKeySpec key() throws IOException {
        if (key == null) {
            byte[] bytes = read();
            if (bytes == null) {
                bytes = make();
            }
            key = new SecretKeySpec(bytes, "HmacSHA256");
        }
        return key;
    }

    /** @return the key on disk, or null when there is none, or none that can be trusted (said so) */
    private byte[] read() throws IOException {
        PosixFileAttributeView posix = Files.getFileAttributeView(keyFile, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (!Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        String wrong = null;
        if (Files.isSymbolicLink(keyFile)) {
            wrong = "is a symbolic link";
        } else if (!Files.isRegularFile(keyFile, LinkOption.NOFOLLOW_LINKS)) {
            wrong = "is not a plain file";
        } else if (posix != null) {
            PosixFileAttributes a = posix.readAttributes();
            if (!OWNER_ONLY.containsAll(a.permissions())) {
                wrong = "may be read or written by others (" + PosixFilePermissions.toString(a.permissions()) + ")";
            }
        }
        byte[] bytes = wrong == null ? Files.readAllBytes(keyFile) : null;
        if (bytes != null && bytes.length != LENGTH) {
            wrong = "holds " + bytes.length + " bytes, not " + LENGTH;
        }
        if (wrong != null) { // a key others may know seals nothing: a new one, and everything sealed under the old is discarded
            LOG.warning("the sealing key " + keyFile + " " + wrong + ": a new key replaces it, and what it sealed is made afresh");
            return null;
        }
        return bytes;
    }

    /** Writes a new key owner-only from the start (never readable by others, not even for a moment), then moves it into place. */
    private byte[] make() throws IOException {
        byte[] bytes = new byte[LENGTH];
        new SecureRandom().nextBytes(bytes);
        Path dir = keyFile.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        Path tmp = posix ? Files.createTempFile(dir, ".seal", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : Files.createTempFile(dir, ".seal", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return bytes;
    }
}
