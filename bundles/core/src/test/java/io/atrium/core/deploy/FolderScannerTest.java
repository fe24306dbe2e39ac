package io.atrium.core.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin folder's scanner over a real folder, with handlers that record what they are given. */
class FolderScannerTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    @TempDir
    Path data;

    private final List<FolderScanner> scanners = new ArrayList<>();
    private final List<Batch> applied = new CopyOnWriteArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger("io.atrium.core.deploy");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** What a handler was given, in order: "deploy NAME TEXT" and "removed NAME", with the batch of each deploy. */
    static class Recorder implements FileHandler {
        final List<String> suffixes;
        final String kind;
        final int order;
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<Batch> batches = new CopyOnWriteArrayList<>();
        final List<String> resumed = new CopyOnWriteArrayList<>();
        /** A file is complete when its text ends so; before, it may be a copy in progress. */
        String completeEnding;
        /** Where every deploy of this and other handlers is told, in order, if set. */
        List<String> deployed = new CopyOnWriteArrayList<>();
        /** Thrown when a file's text holds "boom". */
        RuntimeException boom = new IllegalStateException("boom");

        Recorder(String kind, int order, String... suffixes) {
            this.kind = kind;
            this.order = order;
            this.suffixes = List.of(suffixes);
        }

        @Override
        public List<String> suffixes() {
            return suffixes;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public int order() {
            return order;
        }

        @Override
        public void deploy(FolderEntry e, Path file, byte[] bytes, Batch batch) throws Incomplete {
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (completeEnding != null && !text.endsWith(completeEnding)) {
                throw new Incomplete("is not complete yet", "is not complete");
            }
            if (text.contains("boom")) {
                throw boom;
            }
            if (text.contains("refuse")) {
                throw new IllegalArgumentException("has field 'x': refused");
            }
            calls.add("deploy " + e.name + " " + text);
            deployed.add(e.name);
            batches.add(batch);
            e.active(kind + ":" + e.name);
        }

        @Override
        public void removed(FolderEntry e, Batch batch) {
            calls.add("removed " + e.name);
        }

        @Override
        public String memo(FolderEntry e) {
            return "remembered";
        }

        @Override
        public boolean resume(FolderEntry e, String memo, Batch batch) {
            resumed.add(e.name + " " + memo);
            e.active(kind + ":" + e.name);
            return true;
        }
    }

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stop() {
        logger.removeHandler(capture);
        scanners.forEach(FolderScanner::close);
    }

    private FolderScanner scanner(FileHandler... handlers) {
        FolderScanner s = new FolderScanner(dir, data.resolve("deployments.properties"), 1 << 20, "atrium.deploy.maxTextBytes",
                (link, folder) -> null, applied::add);
        scanners.add(s);
        for (FileHandler h : handlers) {
            s.addHandler(h);
        }
        s.startUp(b -> { });
        return s;
    }

    private static Optional<Deployment> row(FolderScanner s, String file) {
        return s.call(s::rows).stream().filter(d -> d.file().equals(file)).findFirst();
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    @Test
    void aFileThatAppearsChangesAndGoesIsDeployedRedeployedAndRemoved() throws Exception {
        Recorder cfg = new Recorder("config", 0, ".cfg");
        FolderScanner s = scanner(cfg);
        write("a.cfg", "one");
        await().atMost(DEADLINE).until(() -> cfg.calls.equals(List.of("deploy a.cfg one")));
        assertEquals(DeployState.ACTIVE, row(s, "a.cfg").orElseThrow().state());
        assertEquals("config", row(s, "a.cfg").orElseThrow().kind());

        write("a.cfg", "two, longer");
        await().atMost(DEADLINE).until(() -> cfg.calls.equals(List.of("deploy a.cfg one", "deploy a.cfg two, longer")));

        Files.delete(dir.resolve("a.cfg"));
        await().atMost(DEADLINE).until(() -> cfg.calls.size() == 3);
        assertEquals("removed a.cfg", cfg.calls.get(2));
        assertTrue(row(s, "a.cfg").isEmpty(), "a file that is gone has no row");
    }

    @Test
    void aCopyRenamedInIsDeployedOnceCompleteAndItsTemporaryFileNever() throws Exception {
        Recorder cfg = new Recorder("config", 0, ".cfg");
        FolderScanner s = scanner(cfg);
        Path part = dir.resolve("b.cfg.part");
        Files.writeString(part, "half");
        Files.writeString(part, "half and the rest", java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(dir.resolve(".hidden.cfg"), "hidden");
        Files.move(part, dir.resolve("b.cfg"), StandardCopyOption.ATOMIC_MOVE);
        await().atMost(DEADLINE).until(() -> row(s, "b.cfg").map(d -> d.state() == DeployState.ACTIVE).orElse(false));
        assertEquals(List.of("deploy b.cfg halfhalf and the rest"), cfg.calls);
        assertTrue(row(s, "b.cfg.part").isEmpty() && row(s, ".hidden.cfg").isEmpty(), "temporary and hidden files are never looked at");
    }

    @Test
    void aSlowCopyInPlaceWaitsUntilItIsComplete() throws Exception {
        Recorder jar = new Recorder("bundle", 1, ".jar");
        jar.completeEnding = "END";
        FolderScanner s = scanner(jar);
        try (OutputStream out = Files.newOutputStream(dir.resolve("slow.jar"))) {
            out.write("the first half, ".getBytes(StandardCharsets.UTF_8));
            out.flush();
            await().atMost(DEADLINE).until(() -> row(s, "slow.jar")
                    .map(d -> d.state() == DeployState.WAITING && d.detail().equals("is not complete yet")).orElse(false));
            out.write("the second END".getBytes(StandardCharsets.UTF_8));
        }
        await().atMost(DEADLINE).until(() -> row(s, "slow.jar").map(d -> d.state() == DeployState.ACTIVE).orElse(false));
        assertEquals(List.of("deploy slow.jar the first half, the second END"), jar.calls, "deployed once, complete");
    }

    @Test
    void anIncompleteFileThatSettledIsRefused() throws Exception {
        Recorder jar = new Recorder("bundle", 1, ".jar");
        jar.completeEnding = "END";
        Path torn = dir.resolve("torn.jar");
        Files.writeString(torn, "torn");
        Files.setLastModifiedTime(torn, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        FolderScanner s = scanner(jar);
        Deployment d = row(s, "torn.jar").orElseThrow();
        assertEquals(DeployState.REFUSED, d.state());
        assertEquals("is not complete", d.detail());
        assertTrue(jar.calls.isEmpty());
    }

    @Test
    void theLongestSuffixClaimedWins() throws Exception {
        Recorder json = new Recorder("config", 0, ".json", ".cfg");
        Recorder wasm = new Recorder("wasm", 1, ".wasm.json");
        FolderScanner s = scanner(json, wasm);
        write("x.wasm.json", "module");
        write("y.json", "config");
        await().atMost(DEADLINE).until(() -> json.calls.size() == 1 && wasm.calls.size() == 1);
        assertEquals(List.of("deploy x.wasm.json module"), wasm.calls);
        assertEquals(List.of("deploy y.json config"), json.calls);
        assertEquals("wasm", row(s, "x.wasm.json").orElseThrow().kind());
    }

    @Test
    void aHandlerThatComesTakesOverTheFilesItClaimsFromAShorterSuffix() throws Exception {
        Recorder json = new Recorder("config", 0, ".json");
        FolderScanner s = scanner(json);
        write("late.wasm.json", "module");
        await().atMost(DEADLINE).until(() -> json.calls.size() == 1);
        Recorder wasm = new Recorder("wasm", 1, ".wasm.json");
        s.addHandler(wasm);
        await().atMost(DEADLINE).until(() -> wasm.calls.size() == 1);
        assertEquals(List.of("deploy late.wasm.json module", "removed late.wasm.json"), json.calls, "what the shorter suffix made goes");
        assertEquals("wasm", row(s, "late.wasm.json").orElseThrow().kind());
    }

    @Test
    void aNameTheCoreOwnsIsNeverTakenOverByALongerEndingComeOrAwaited() throws Exception {
        Recorder jars = new Recorder("bundle", 1, ".jar") {
            @Override
            public boolean owns(String name) {
                return name.endsWith(".jar");
            }
        };
        FolderScanner s = scanner(jars);
        write("tools.jar", "a bundle");
        await().atMost(DEADLINE).until(() -> jars.calls.size() == 1);
        Recorder claimer = new Recorder("evil", 1, "s.jar");
        s.addHandler(new TransportFiles.Awaited(List.of("ls.jar"), "evil"));
        s.addHandler(claimer);
        write("more-tools.jar", "another bundle");
        await().atMost(DEADLINE).until(() -> jars.calls.size() == 2);
        assertEquals(List.of("deploy tools.jar a bundle", "deploy more-tools.jar another bundle"), jars.calls, "nothing taken over, nothing removed");
        assertEquals(List.of(), claimer.calls);
        assertEquals("bundle", row(s, "tools.jar").orElseThrow().kind());
        assertEquals(DeployState.ACTIVE, row(s, "tools.jar").orElseThrow().state());
    }

    @Test
    void theCoresHandlersOwnEveryJarTheTrustPolicysFileAndEveryCfg() {
        BundleFiles bundles = new BundleFiles(null, null, null, null);
        ConfigFiles configs = new ConfigFiles(null, null);
        assertTrue(bundles.owns("tools.jar") && bundles.owns("x.plugin.jar"));
        assertTrue(configs.owns("io.atrium.trust.cfg") && configs.owns("io.atrium.trust.json") && configs.owns("io.atrium.capabilities.cfg"));
        assertFalse(configs.owns("greeter.plugin.json") || configs.owns("io.atrium.capabilities.json"), "JSON endings stay open to manifests");
        assertFalse(bundles.owns("greeter.plugin.json") || configs.owns("tools.jar"));
    }

    @Test
    void aFileWaitsForTheHandlerThatIsAwaitedAndIsNeverReadMeanwhile() throws Exception {
        Recorder json = new Recorder("config", 0, ".json");
        FolderScanner s = scanner(json, new TransportFiles.Awaited(List.of(".wasm.json"), "wasm"));
        write("w.wasm.json", "module");
        await().atMost(DEADLINE).until(() -> row(s, "w.wasm.json").isPresent());
        Deployment d = row(s, "w.wasm.json").orElseThrow();
        assertEquals(DeployState.WAITING, d.state());
        assertEquals("waits for its transport (wasm)", d.detail());
        assertEquals("wasm", d.kind());
        assertTrue(json.calls.isEmpty());
    }

    @Test
    void aHandlerThatThrowsGetsOneLineNamingTheFileAndTheScannerGoesOn() throws Exception {
        Recorder cfg = new Recorder("config", 0, ".cfg");
        FolderScanner s = scanner(cfg);
        write("bad.cfg", "boom");
        write("refused.cfg", "refuse");
        await().atMost(DEADLINE).until(() -> row(s, "bad.cfg").isPresent() && row(s, "refused.cfg").isPresent());
        Deployment bad = row(s, "bad.cfg").orElseThrow();
        assertEquals(DeployState.REFUSED, bad.state());
        assertEquals("was not deployed: java.lang.IllegalStateException: boom", bad.detail());
        assertEquals("has field 'x': refused", row(s, "refused.cfg").orElseThrow().detail());
        await().atMost(DEADLINE).until(() -> log.contains("plugin file bad.cfg was not deployed: java.lang.IllegalStateException: boom")
                && log.contains("plugin file refused.cfg has field 'x': refused"));
        assertTrue(log.stream().noneMatch(l -> l.contains("\n")), "one line each");

        write("good.cfg", "fine");
        await().atMost(DEADLINE).until(() -> cfg.calls.contains("deploy good.cfg fine"));
        assertEquals(1, log.stream().filter(l -> l.startsWith("plugin file bad.cfg")).count(), "a refusal is said once, not at every rescan");
    }

    @Test
    void aFileNoHandlerClaimsIsIgnoredAndSaysWhatIsDeployed() throws Exception {
        FolderScanner s = scanner(new Recorder("config", 0, ".cfg"), new Recorder("bundle", 1, ".jar"));
        write("notes.txt", "hello");
        await().atMost(DEADLINE).until(() -> row(s, "notes.txt").isPresent());
        Deployment d = row(s, "notes.txt").orElseThrow();
        assertEquals(DeployState.IGNORED, d.state());
        assertEquals("other", d.kind());
        assertEquals("not a plugin or configuration file (.cfg, .jar)", d.detail());
    }

    @Test
    void startUpDeploysTheFolderInOneBatchConfigurationsFirstAndTakesBackUnchangedFilesUnread() throws Exception {
        write("p1.jar", "one");
        write("p2.jar", "two");
        write("c.cfg", "conf");
        Recorder jar = new Recorder("bundle", 1, ".jar");
        Recorder cfg = new Recorder("config", 0, ".cfg");
        FolderScanner first = scanner(jar, cfg);
        // deployed before startUp returned, all in its one batch, which was applied
        assertEquals(3, jar.calls.size() + cfg.calls.size());
        Batch startUp = cfg.batches.get(0);
        assertTrue(jar.batches.stream().allMatch(b -> b == startUp), "one batch");
        assertTrue(applied.contains(startUp));
        assertTrue(List.of("deploy p1.jar one", "deploy p2.jar two").containsAll(jar.calls));
        first.close();

        write("p2.jar", "two, changed");
        Recorder jarAgain = new Recorder("bundle", 1, ".jar");
        Recorder cfgAgain = new Recorder("config", 0, ".cfg");
        FolderScanner second = scanner(jarAgain, cfgAgain);
        assertEquals(List.of("p1.jar remembered"), jarAgain.resumed, "unchanged since the last run: taken back from the state file");
        assertEquals(List.of("deploy p2.jar two, changed"), jarAgain.calls, "changed meanwhile: read again");
        assertEquals(List.of("c.cfg remembered"), cfgAgain.resumed);
        assertEquals(DeployState.ACTIVE, row(second, "p1.jar").orElseThrow().state());
    }

    @Test
    void theHandlersOfLowerOrderDeployFirstInABatch() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        Recorder jar = new Recorder("bundle", 1, ".jar");
        Recorder cfg = new Recorder("config", 0, ".cfg");
        jar.deployed = order;
        cfg.deployed = order;
        for (int i = 0; i < 5; i++) {
            write("p" + i + ".jar", "jar");
            write("c" + i + ".cfg", "cfg");
        }
        scanner(jar, cfg);
        assertEquals(10, order.size());
        assertTrue(order.subList(0, 5).stream().allMatch(n -> n.endsWith(".cfg")), () -> "configurations first: " + order);
    }

    @Test
    void aHandlerThatGoesLeavesItsFilesWaitingForIt() throws Exception {
        Recorder cfg = new Recorder("config", 0, ".cfg");
        write("a.cfg", "one");
        FolderScanner s = scanner(cfg, new TransportFiles.Awaited(List.of(".cfg"), "config"));
        assertEquals(List.of("deploy a.cfg one"), cfg.calls, "a handler that deploys beats one that waits for the same suffix");
        s.removeHandler(cfg, e -> "waits for its transport (" + e.kind + "), which stopped");
        await().atMost(DEADLINE).until(() -> row(s, "a.cfg").map(d -> d.state() == DeployState.WAITING
                && d.detail().startsWith("waits for its transport (config)")).orElse(false));
        assertFalse(cfg.calls.contains("removed a.cfg"), "a handler that went is not asked to remove what went with it");
    }
}
