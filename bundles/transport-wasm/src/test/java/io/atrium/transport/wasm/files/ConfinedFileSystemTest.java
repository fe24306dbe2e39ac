package io.atrium.transport.wasm.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Each file operation WASI uses, on real folders with real links, through a confined file system. */
class ConfinedFileSystemTest {
    @TempDir
    Path work;
    Path folder;
    Path outside;
    Path root;

    @BeforeEach
    void folders() throws IOException {
        folder = Files.createDirectories(work.resolve("granted"));
        outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "outside secret");
        Files.writeString(folder.resolve("inside.txt"), "inside");
        Files.createSymbolicLink(folder.resolve("outlink"), outside);
        Files.createSymbolicLink(folder.resolve("secretlink"), outside.resolve("secret.txt"));
        root = ConfinedFileSystem.of(folder).root();
    }

    static List<String> list(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void filesInsideWorkAsOnTheHost() throws IOException {
        Files.createDirectory(root.resolve("a"));
        Files.createDirectory(root.resolve("a/b"));
        Files.writeString(root.resolve("a/b/new.txt"), "written");
        assertEquals("written", Files.readString(folder.resolve("a/b/new.txt")), "what is written reaches the host folder");
        assertEquals("inside", Files.readString(root.resolve("inside.txt")));
        Files.move(root.resolve("a/b/new.txt"), root.resolve("a/moved.txt"), StandardCopyOption.REPLACE_EXISTING);
        assertEquals(List.of("b", "moved.txt"), list(root.resolve("a")));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> Files.createDirectory(root.resolve("a/b")));
        assertThrows(java.nio.file.DirectoryNotEmptyException.class, () -> Files.delete(root.resolve("a")));
        Files.delete(root.resolve("a/moved.txt"));
        Files.delete(root.resolve("a/b"));
        Files.delete(root.resolve("a"));
        assertEquals(List.of("inside.txt", "outlink", "secretlink"), list(root), "no folder of its own was left behind");
        assertEquals(Files.readAttributes(folder.resolve("inside.txt"), "unix:ino"), Files.readAttributes(root.resolve("inside.txt"), "unix:ino"));
        assertEquals(root, root.resolve("..").toRealPath(), "the granted folder is its own parent, as / is");
        assertTrue(Files.isDirectory(root.resolve("..")));
    }

    @Test
    void linksAreListedButNeverFollowed() throws IOException {
        FileTime before = Files.getLastModifiedTime(outside.resolve("secret.txt"));
        assertTrue(Files.readAttributes(root.resolve("outlink"), BasicFileAttributes.class).isSymbolicLink());
        assertFalse(Files.isDirectory(root.resolve("outlink")));
        assertFalse(Files.exists(root.resolve("outlink/secret.txt")));
        List<Executable> escapes = List.of(
                () -> Files.readString(root.resolve("secretlink")),
                () -> Files.readString(root.resolve("outlink/secret.txt")),
                () -> Files.writeString(root.resolve("secretlink"), "overwritten"),
                () -> Files.writeString(root.resolve("outlink/made.txt"), "made"),
                () -> Files.createDirectory(root.resolve("outlink/made")),
                () -> Files.delete(root.resolve("outlink/secret.txt")),
                () -> Files.move(root.resolve("inside.txt"), root.resolve("outlink/moved.txt")),
                () -> Files.move(root.resolve("outlink/secret.txt"), root.resolve("stolen.txt")),
                () -> Files.readAttributes(root.resolve("outlink/secret.txt"), "unix:*"),
                () -> Files.getFileAttributeView(root.resolve("outlink/secret.txt"), BasicFileAttributeView.class)
                        .setTimes(FileTime.fromMillis(0), null, null),
                () -> Files.getFileAttributeView(root.resolve("secretlink"), BasicFileAttributeView.class)
                        .setTimes(FileTime.fromMillis(0), null, null),
                () -> Files.list(root.resolve("outlink")).close(),
                () -> Files.readSymbolicLink(root.resolve("secretlink")),
                () -> Files.createSymbolicLink(root.resolve("newlink"), root.resolve("inside.txt")),
                () -> Files.createLink(root.resolve("hardlink"), root.resolve("inside.txt")));
        for (Executable escape : escapes) {
            assertThrows(IOException.class, escape);
        }
        assertEquals(List.of("secret.txt"), list(outside));
        assertEquals("outside secret", Files.readString(outside.resolve("secret.txt")));
        assertEquals(before, Files.getLastModifiedTime(outside.resolve("secret.txt")));
        assertEquals(List.of("inside.txt", "outlink", "secretlink"), list(folder));
        Files.delete(root.resolve("secretlink")); // a link itself may go: that reaches nothing
        assertTrue(Files.exists(outside.resolve("secret.txt")));
        assertFalse(Files.exists(folder.resolve("secretlink"), LinkOption.NOFOLLOW_LINKS));
    }

    /** Folders made, and files created, while their parent keeps turning into a link to outside and back. */
    @Test
    void nothingIsMadeOutsideWhileAFolderFlipsIntoALink() throws Exception {
        Path staging = Files.createDirectories(work.resolve("staging"));
        Files.createDirectories(staging.resolve("dir"));
        Files.createSymbolicLink(staging.resolve("link"), outside);
        AtomicBoolean flipping = new AtomicBoolean(true);
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread flipper = new Thread(() -> {
            try {
                while (flipping.get()) {
                    for (String kind : List.of("dir", "link")) {
                        Files.move(staging.resolve(kind), folder.resolve("flip"), StandardCopyOption.ATOMIC_MOVE);
                        Files.move(folder.resolve("flip"), staging.resolve(kind), StandardCopyOption.ATOMIC_MOVE);
                    }
                }
            } catch (Exception e) {
                failure.set(e);
            }
        });
        flipper.start();
        int made = 0;
        int refused = 0;
        try {
            for (int i = 0; i < 20_000 && (made < 20 || refused < 20); i++) {
                try {
                    Files.createDirectory(root.resolve("flip/d" + i));
                    Files.writeString(root.resolve("flip/f" + i), "made");
                    made++;
                } catch (IOException e) {
                    refused++;
                }
            }
        } finally {
            flipping.set(false);
            flipper.join();
        }
        assertEquals(null, failure.get());
        assertTrue(made >= 20 && refused >= 20, "the folder and the link were both met: " + made + " made, " + refused + " refused");
        assertEquals(List.of("secret.txt"), list(outside));
        assertTrue(list(folder).stream().noneMatch(n -> n.startsWith(".atrium")), list(folder).toString());
    }
}
