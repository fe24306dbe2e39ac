package io.atrium.transport.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Seal} on real files: the key it makes and keeps, and what a seal does and does not match. */
class SealTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSealMatchesItsOwnNameAndBytesOnly() throws Exception {
        Seal seal = new Seal(dir.resolve("seal.key"));
        byte[] s = seal.of("module-a", bytes("compiled classes"));
        assertEquals(Seal.LENGTH, s.length);
        assertTrue(seal.matches("module-a", bytes("compiled classes"), s));
        assertFalse(seal.matches("module-b", bytes("compiled classes"), s), "a seal for one name never opens another");
        assertFalse(seal.matches("module-a", bytes("compiled classeS"), s), "changed bytes");
        assertFalse(seal.matches("module-a", bytes("compiled classes"), Arrays.copyOf(s, 31)), "a cut seal");
        assertFalse(seal.matches("module-a", bytes("compiled classes"), null));
        assertFalse(Arrays.equals(seal.of("ab", bytes("c")), seal.of("a", bytes("bc"))), "the name does not run into the data");
    }

    @Test
    void theKeyIsMadeOwnerOnlyAtFirstUseAndKeptAcrossRestarts() throws Exception {
        Path key = dir.resolve("data/seal.key");
        Seal first = new Seal(key);
        assertFalse(Files.exists(key), "nothing is made before it is needed");
        byte[] s = first.of("x", bytes("data"));
        assertEquals(Seal.LENGTH, Files.size(key));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        try (var files = Files.list(key.getParent())) {
            assertEquals(1, files.count(), "no temporary file is left beside it");
        }
        assertTrue(new Seal(key).matches("x", bytes("data"), s), "the next start reads the same key");
        Path other = dir.resolve("other/seal.key");
        assertFalse(new Seal(other).matches("x", bytes("data"), s), "another data folder's key seals otherwise");
    }

    @Test
    void aKeyOthersMayReadOrThatIsALinkIsReplaced() throws Exception {
        Path key = dir.resolve("seal.key");
        byte[] s = new Seal(key).of("x", bytes("data"));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Seal again = new Seal(key);
        assertFalse(again.matches("x", bytes("data"), s), "what the readable key sealed is not trusted");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        byte[] renewed = Files.readAllBytes(key);

        Path elsewhere = Files.write(dir.resolve("known.key"), new byte[Seal.LENGTH]);
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-------"));
        Files.delete(key);
        Files.createSymbolicLink(key, elsewhere);
        Seal linked = new Seal(key);
        assertFalse(linked.matches("x", bytes("data"), new Seal(elsewhere).of("x", bytes("data"))), "a key someone linked in is not used");
        assertFalse(Files.isSymbolicLink(key));
        assertFalse(Arrays.equals(renewed, Files.readAllBytes(key)));
        assertArrayEquals(new byte[Seal.LENGTH], Files.readAllBytes(elsewhere), "the link's target is left alone");

        Files.write(key, new byte[5]);
        assertFalse(new Seal(key).matches("x", bytes("data"), s));
        assertEquals(Seal.LENGTH, Files.size(key), "a key of the wrong length is replaced");
    }
}
