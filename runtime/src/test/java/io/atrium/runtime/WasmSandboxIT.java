package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginException;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What a WASM module cannot do to the server, with real modules on a real server. */
class WasmSandboxIT extends WasmPluginFolder {
    static final Path STUCK = EXAMPLES.resolve("misbehaving/stuck.wasm");

    @Test
    void aModuleWhoseStartNeverReturnsFailsItsDeploymentAndNothingElse() throws Exception {
        deploy("stuck", STUCK, "\"limits\": {\"callTimeoutMs\": 300}");
        deploy("after", GREETER, "");
        assertEquals("Hello, x!", greeter("after").greet("x"), "a manifest dropped after the stuck one deploys");
        String reason = "was not deployed: stuck.wasm an instance could not be made: its start function ran past its deadline of 300 ms "
                + "(limits.callTimeoutMs) and was stopped";
        awaitRefused("stuck.wasm.json", reason);
        assertTrue(PluginFacts.refused(atrium, "stuck.wasm.json", reason), PluginFacts.folder(atrium));
        assertTrue(atrium.registry().problems().stream().anyMatch(p -> p.reason().contains(reason)), atrium.registry().problems().toString());
        assertEquals(io.atrium.api.PluginState.ACTIVE, PluginFacts.reload(atrium, "after"));

        // a running plugin whose module is replaced by one that never starts keeps its old module
        deploy("live", GREETER, "\"limits\": {\"callTimeoutMs\": 300}");
        Greeter live = greeter("live");
        assertEquals("Hello, x!", live.greet("x"));
        place(STUCK, "live.wasm");
        awaitRefused("live.wasm.json", "was not deployed: live.wasm an instance could not be made: its start function ran past its deadline");
        assertEquals("Hello, y!", live.greet("y"));
        PluginException reload = assertThrows(PluginException.class, () -> PluginFacts.reload(atrium, "live"));
        assertTrue(reload.getMessage().contains("reload failed: live.wasm an instance could not be made: its start function ran past its deadline of 300 ms"),
                reload.getMessage());
        assertEquals("Hello, z!", live.greet("z"));
        assertEquals("Hello, x!", greeter("after").greet("x"));
    }

    /** WASI's random_get: no fixed seed, so no two plugins, nor two instances of one plugin, read the same bytes. */
    @Test
    void randomnessDiffersBetweenPluginsAndInstances() throws Exception {
        deploy("dice", C_FILES, "\"exports\": {\"greet\": \"random\"}, \"encoding\": \"raw\", \"wasi\": true");
        deploy("coin", C_FILES, "\"exports\": {\"greet\": \"random\"}, \"encoding\": \"raw\", \"wasi\": true");
        String dice = greeter("dice").greet("");
        String coin = greeter("coin").greet("");
        assertTrue(dice.matches("[0-9a-f]{32}"), dice);
        assertNotEquals(dice, coin, "two plugins read different bytes");
        assertEquals(io.atrium.api.PluginState.ACTIVE, PluginFacts.reload(atrium, "dice")); // a new instance
        await("the reloaded plugin is registered", () -> atrium.service(Greeter.class, "dice").isPresent());
        String again = greeter("dice").greet("");
        assertNotEquals(dice, again, "a new instance of the same plugin reads different bytes");
        assertNotEquals(coin, again);
    }

    /** Lets manifests grant folders inside {@code root} (the configuration io.atrium.wasm). */
    void allowRoot(Path root) throws Exception {
        drop("io.atrium.wasm.cfg", "allowedRoots = " + root + "\n");
        await("the policy is applied", () -> "active".equals(PluginFacts.fileState(atrium, "io.atrium.wasm.cfg")));
        Thread.sleep(200);
    }

    static List<String> list(Path folder) throws Exception {
        try (var files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** Links in a granted folder, to a folder and a file outside it and to a file inside: none is followed, read-only or writable. */
    @Test
    void aFifoInAGrantIsNotOpened() throws Exception {
        // opening a FIFO blocks until a writer comes, in a system call no deadline interrupts: the call
        // (and an HTTP thread behind it) would hang for ever, and the plugin's one instance with it
        Path root = Files.createDirectories(work.resolve("granted"));
        Path data = Files.createDirectories(root.resolve("data"));
        Process mkfifo = new ProcessBuilder("mkfifo", data.resolve("fifo").toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        Files.writeString(data.resolve("plain.txt"), "plain");
        allowRoot(root);
        deploy("fifo-read", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"encoding\": \"raw\", \"limits\": {\"callTimeoutMs\": 2000}, "
                + "\"allowedPaths\": {\"" + data + "\": \"/data\"}");
        Greeter reader = greeter("fifo-read");
        java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            for (String path : List.of("fifo")) {
                java.util.concurrent.Future<String> call = caller.submit(() -> reader.greet(path));
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> call.get(60, java.util.concurrent.TimeUnit.SECONDS), path);
                assertTrue(e.getCause().getMessage().startsWith("plugin 'fifo-read': read failed with status 1: path_open errno "), e.getCause().getMessage());
            }
            assertEquals("plain", reader.greet("plain.txt"), "the plugin still answers");
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void noGrantReachesOutsideItsFolderThroughALink() throws Exception {
        Path root = Files.createDirectories(work.resolve("granted"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "outside secret");
        Path data = Files.createDirectories(root.resolve("data"));
        Path shared = Files.createDirectories(root.resolve("shared"));
        for (Path d : List.of(data, shared)) {
            Files.writeString(d.resolve("inside.txt"), "inside");
            Files.createDirectories(d.resolve("sub"));
            Files.createSymbolicLink(d.resolve("outlink"), outside);
            Files.createSymbolicLink(d.resolve("secretlink"), outside.resolve("secret.txt"));
            Files.createSymbolicLink(d.resolve("innerlink"), d.resolve("inside.txt"));
        }
        allowRoot(root);
        deploy("rw-read", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"" + data + "\": \"/data\"}");
        deploy("rw-write", C_FILES, "\"exports\": {\"greet\": \"write\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"" + data + "\": \"/data\"}");
        deploy("ro-read", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"ro:" + shared + "\": \"/data\"}");
        deploy("ro-write", C_FILES, "\"exports\": {\"greet\": \"write\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"ro:" + shared + "\": \"/data\"}");

        for (String reader : List.of("rw-read", "ro-read")) {
            assertEquals("inside", greeter(reader).greet("inside.txt"));
            for (String path : List.of("outlink/secret.txt", "secretlink", "innerlink")) {
                PluginException refused = assertThrows(PluginException.class, () -> greeter(reader).greet(path), reader + " reads " + path);
                assertTrue(refused.getMessage().startsWith("plugin '" + reader + "': read failed with status 1: path_open errno "), refused.getMessage());
            }
        }
        for (String path : List.of("outlink/made.txt", "secretlink")) {
            PluginException refused = assertThrows(PluginException.class, () -> greeter("rw-write").greet(path), "rw-write writes " + path);
            assertTrue(refused.getMessage().startsWith("plugin 'rw-write': write failed with status 1: path_open errno "), refused.getMessage());
            try {
                greeter("ro-write").greet(path); // refused, or written in its private copy
            } catch (PluginException refusedToo) {
                assertTrue(refusedToo.getMessage().startsWith("plugin 'ro-write': write failed with status 1: path_open errno "), refusedToo.getMessage());
            }
        }
        assertEquals(List.of("secret.txt"), list(outside), "nothing was made outside");
        assertEquals("outside secret", Files.readString(outside.resolve("secret.txt")), "nothing was written outside");
        assertTrue(Files.isSymbolicLink(data.resolve("secretlink")) && Files.isSymbolicLink(shared.resolve("secretlink")));

        // a writable grant still writes to the host folder, its subfolders included
        assertEquals("ok", greeter("rw-write").greet("sub/made.txt"));
        assertEquals("written by wasm", Files.readString(data.resolve("sub/made.txt")));
        assertEquals("written by wasm", greeter("rw-read").greet("sub/made.txt"));
    }

    static Map<String, Integer> counts(String output) {
        Map<String, Integer> counts = new java.util.HashMap<>();
        Matcher m = Pattern.compile("(\\w+)=(\\d+)").matcher(output);
        while (m.find()) {
            counts.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return counts;
    }

    /**
     * A folder in a granted folder becomes a link to a folder outside and back, over and over, while the
     * module opens a file in it: each open either reaches the folder inside or fails, never the one outside.
     */
    @Test
    void aLinkSwappedInWhileTheModuleOpensFilesLeadsNowhere() throws Exception {
        Path root = Files.createDirectories(work.resolve("granted"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("f.txt"), "outside");
        Path data = Files.createDirectories(root.resolve("data"));
        Path shared = Files.createDirectories(root.resolve("shared"));
        Path staging = Files.createDirectories(root.resolve("staging")); // not granted; on the same file system
        for (String d : List.of("data", "shared")) {
            Files.writeString(Files.createDirectories(staging.resolve(d + "-dir")).resolve("f.txt"), "inside");
            Files.createSymbolicLink(staging.resolve(d + "-link"), outside);
        }
        allowRoot(root);
        deploy("reads", C_FILES, "\"exports\": {\"greet\": \"readMany\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"" + data + "\": \"/data\"}");
        deploy("makes", C_FILES, "\"exports\": {\"greet\": \"writeMany\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"" + data + "\": \"/data\"}");
        deploy("copies", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"ro:" + shared + "\": \"/data\"}");
        Greeter reads = greeter("reads");
        Greeter makes = greeter("makes");
        greeter("copies");

        AtomicBoolean flipping = new AtomicBoolean(true);
        AtomicInteger flips = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread flipper = new Thread(() -> {
            try {
                while (flipping.get()) {
                    for (String d : List.of("data", "shared")) {
                        Path flip = root.resolve(d).resolve("flip");
                        for (String kind : List.of("-dir", "-link")) {
                            Files.move(staging.resolve(d + kind), flip, StandardCopyOption.ATOMIC_MOVE);
                            Files.move(flip, staging.resolve(d + kind), StandardCopyOption.ATOMIC_MOVE);
                        }
                    }
                    flips.incrementAndGet();
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }, "flipper");
        flipper.start();
        try {
            boolean readInside = false, readFailed = false, made = false, madeFailed = false;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!(readInside && readFailed && made && madeFailed) && System.nanoTime() < deadline && failure.get() == null) {
                String r = reads.greet("flip/f.txt");
                assertEquals(0, counts(r).get("other"), "a read reached the folder outside: " + r);
                readInside |= counts(r).get("inside") > 0;
                readFailed |= counts(r).get("failed") > 0;
                String w = makes.greet("flip/made.txt");
                assertFalse(Files.exists(outside.resolve("made.txt")), "a file was made outside: " + w);
                made |= counts(w).get("made") > 0;
                madeFailed |= counts(w).get("failed") > 0;
            }
            assertTrue(readInside && readFailed && made && madeFailed, "the opens met both the folder and the link, "
                    + flips.get() + " flips: read inside " + readInside + ", read failed " + readFailed + ", made " + made + ", made failed " + madeFailed);

            // a read-only grant copies the folder for each new instance: a copy made while it flips has the inside or nothing
            boolean copiedInside = false, copiedNothing = false;
            for (int i = 0; i < 200 && !(copiedInside && copiedNothing && i >= 20); i++) {
                PluginFacts.reload(atrium, "copies");
                try {
                    assertEquals("inside", greeter("copies").greet("flip/f.txt"));
                    copiedInside = true;
                } catch (PluginException missing) {
                    copiedNothing = true;
                }
            }
        } finally {
            flipping.set(false);
            flipper.join();
        }
        assertEquals(null, failure.get());
        assertEquals(List.of("f.txt"), list(outside));
        assertEquals("outside", Files.readString(outside.resolve("f.txt")));
    }
}
