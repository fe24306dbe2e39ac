package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginState;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** WASM plugins on a real server: real modules built from AssemblyScript with Extism's PDK, in a real watched folder. */
class WasmPluginIT extends WasmPluginFolder {
    static final Path C_ABI = EXAMPLES.resolve("c-abi/abi.wasm");
    static final Path C_PLAIN = EXAMPLES.resolve("c-abi/plain.wasm");

    @Test
    void anExtismPluginFromAssemblyScriptIsAnOrdinaryGreeter() throws Exception {
        deploy("as-greeter", GREETER, "\"config\": {\"greeting\": \"Salom\"}");
        Greeter g = greeter("as-greeter");
        assertEquals("Salom, World!", g.greet("World"));
        assertEquals("Salom, \"quoted\" \\ ünïcödé!", g.greet("\"quoted\" \\ ünïcödé"), "JSON both ways, escapes and UTF-8 included");
        PluginDescriptor d = atrium.registry().plugin("as-greeter").orElseThrow();
        assertEquals("wasm", d.transportId());
        assertEquals("as-greeter.wasm.json", d.source());
        String info = info("as-greeter");
        assertTrue(info.contains("engine        compiled"), info);
        assertTrue(info.lines().anyMatch(l -> l.matches("memory cap\\s+\\d+ pages .*")), info);
        assertEquals("Salom, Shell!\n", atrium.execute("plugin:call as-greeter greet Shell").output());
        assertEquals(List.of("1.0.0", Greeter.class.getName(), PluginState.ACTIVE), List.of(d.version(), d.contract(), d.state()));

        Files.delete(folder.resolve("as-greeter.wasm.json"));
        await("the plugin is gone", () -> atrium.registry().plugin("as-greeter").isEmpty());
    }

    /** Task 13: the same Greeter from two languages, run by the same host code, answers the same. */
    @Test
    void theGreeterInCAndInAssemblyScriptAnswerAlike() throws Exception {
        deploy("as", GREETER, "\"config\": {\"greeting\": \"Salom\"}");
        deploy("c", C_GREETER, "\"config\": {\"greeting\": \"Salom\"}");
        for (String name : List.of("World", "\"quoted\" \\ ünïcödé", "tab\there", "")) {
            assertEquals(greeter("as").greet(name), greeter("c").greet(name), name);
        }
        assertEquals("Salom, C!", greeter("c").greet("C"));
    }

    @Test
    void theInterpreterRunsTheSameModule() throws Exception {
        deploy("slow-greeter", GREETER, "\"engine\": \"interpreted\"");
        assertEquals("Hello, World!", greeter("slow-greeter").greet("World"));
        assertTrue(info("slow-greeter").contains("engine        interpreted"), info("slow-greeter"));
    }

    /** Each misbehaviour in its own plugin: the call fails in one line, the instance is dropped, the rest runs on. */
    @Test
    void misbehavingModulesFailTheirCallAndNothingElse() throws Exception {
        String[][] cases = {
                {"spin", "\"limits\": {\"callTimeoutMs\": 200}"},
                {"bomb", "\"limits\": {\"memoryMb\": 2}"},
                {"recurse", ""},
                {"deepRecurse", "\"limits\": {\"stackKb\": 256}"},
                {"trap", ""},
                {"divide", ""},
                {"outOfBounds", ""},
                {"badUtf8", ""},
                {"notJson", ""},
                {"huge", "\"limits\": {\"maxOutputBytes\": 65536}"},
        };
        for (String[] c : cases) {
            String export = c[0].equals("deepRecurse") ? "recurse" : c[0];
            deploy(c[0].toLowerCase(), MISBEHAVE, "\"exports\": {\"greet\": \"" + export + "\"}" + (c[1].isEmpty() ? "" : ", " + c[1]));
        }
        deploy("echo", MISBEHAVE, "\"exports\": {\"greet\": \"echo\"}, \"encoding\": \"raw\"");
        Greeter echo = greeter("echo");

        assertEquals("plugin 'spin': spin ran past its deadline of 200 ms and was stopped; the instance was discarded",
                assertThrows(PluginTimeoutException.class, () -> greeter("spin").greet("x")).getMessage());
        assertEquals("plugin 'bomb': bomb trapped: Trapped on unreachable instruction; the instance was discarded",
                assertThrows(PluginCrashedException.class, () -> greeter("bomb").greet("x")).getMessage(),
                "memory.grow failed at the 2 MiB cap, so the module gave up");
        assertTrue(assertThrows(PluginCrashedException.class, () -> greeter("recurse").greet("x")).getMessage()
                .startsWith("plugin 'recurse': recurse trapped: call stack exhausted"));
        // the same on the plugin's own 256 KiB threads
        assertTrue(assertThrows(PluginCrashedException.class, () -> greeter("deeprecurse").greet("x")).getMessage()
                .startsWith("plugin 'deeprecurse': recurse trapped: call stack exhausted"));
        assertEquals("plugin 'trap': trap trapped: Trapped on unreachable instruction; the instance was discarded",
                assertThrows(PluginCrashedException.class, () -> greeter("trap").greet("x")).getMessage());
        assertTrue(assertThrows(PluginCrashedException.class, () -> greeter("divide").greet("x")).getMessage()
                .startsWith("plugin 'divide': divide trapped: integer divide by zero"));
        assertTrue(assertThrows(PluginCrashedException.class, () -> greeter("outofbounds").greet("x")).getMessage()
                .startsWith("plugin 'outofbounds': outOfBounds trapped: out of bounds memory access"));
        assertEquals("plugin 'badutf8': badUtf8 returned 2 bytes that are not UTF-8 text",
                assertThrows(PluginException.class, () -> greeter("badutf8").greet("x")).getMessage());
        assertEquals("plugin 'notjson': notJson returned 'Hello, not JSON', which is not JSON for a java.lang.String",
                assertThrows(PluginException.class, () -> greeter("notjson").greet("x")).getMessage());
        assertEquals("plugin 'huge': huge failed: set an output of 2097152 bytes, over the limit of 65536; the instance was discarded",
                assertThrows(PluginException.class, () -> greeter("huge").greet("x")).getMessage());

        assertEquals("still here", echo.greet("still here"));
        assertEquals(Thread.currentThread().isInterrupted(), false, "no interrupt leaks into the caller's thread");
    }

    @Test
    void concurrentCallsRunOnSeveralInstances() throws Exception {
        deploy("pooled", MISBEHAVE, "\"exports\": {\"greet\": \"echo\"}, \"encoding\": \"raw\", \"stateless\": true, \"instances\": 4");
        Greeter g = greeter("pooled");
        List<Thread> callers = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        for (int t = 0; t < 6; t++) {
            String me = "caller " + t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 2000; i++) {
                    try {
                        if (!g.greet(me).equals(me)) {
                            failure.compareAndSet(null, new AssertionError("crossed answers"));
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }
            });
            th.start();
            callers.add(th);
        }
        for (Thread th : callers) {
            th.join();
        }
        assertEquals(null, failure.get());
        String instances = info("pooled").lines().filter(l -> l.startsWith("instances")).findFirst().orElse("");
        assertTrue(instances.matches("instances\\s+[2-4] of at most 4 \\(stateless\\), 0 running, 0 waiting"),
                "more than one instance ran calls: " + instances);
    }

    /**
     * As in Extism, a plugin's calls run one at a time on one instance unless its manifest says the
     * module is stateless: what a call leaves in a variable (the C PDK's count) or in linear memory (its
     * globals) is there for the next, and 401 concurrent calls count to 401.
     */
    @Test
    void aPluginsCallsRunOneAtATimeSoItsStateCountsEveryCall() throws Exception {
        deploy("counter", C_ABI, "\"exports\": {\"greet\": \"count\"}, \"encoding\": \"raw\", \"limits\": {\"callTimeoutMs\": 60000}");
        deploy("globals", C_ABI, "\"exports\": {\"greet\": \"globals\"}, \"encoding\": \"raw\", \"limits\": {\"callTimeoutMs\": 60000}");
        Greeter counter = greeter("counter");
        Greeter globals = greeter("globals");
        int calls = 401;
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(32);
        try {
            List<java.util.concurrent.Future<String>> counts = new java.util.ArrayList<>();
            for (int i = 0; i < calls; i++) {
                counts.add(callers.submit(() -> counter.greet("")));
                callers.submit(() -> globals.greet(""));
            }
            java.util.Set<String> seen = new java.util.TreeSet<>();
            for (var f : counts) {
                seen.add(f.get());
            }
            assertEquals(calls, seen.size(), "every call saw the count the one before left: " + seen);
        } finally {
            callers.shutdown();
            assertTrue(callers.awaitTermination(120, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertEquals(String.valueOf(calls + 1), counter.greet(""));
        assertEquals("{\"count\": " + calls + "}", globals.greet(""));
        assertTrue(info("counter").lines().anyMatch(l -> l.matches("instances\\s+1 of at most 1, 0 running, 0 waiting")), info("counter"));
    }

    /** A call that finds every instance busy waits its turn, and if none comes in time it says how many calls held them. */
    @Test
    void aWaitForAnInstanceSaysHowManyCallsRun() throws Exception {
        deploy("looping", C_PLAIN, "\"exports\": {\"greet\": \"infinite_loop\"}, \"encoding\": \"raw\", \"limits\": {\"callTimeoutMs\": 2000}");
        Greeter looping = greeter("looping");
        List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread first = new Thread(() -> failures.add(assertThrows(PluginTimeoutException.class, () -> looping.greet(""))));
        first.start();
        await("the first call runs", () -> info("looping").contains("1 running, 0 waiting"));
        Thread second = new Thread(() -> failures.add(assertThrows(PluginTimeoutException.class, () -> looping.greet(""))));
        second.start();
        await("the second call waits", () -> info("looping").contains("1 running, 1 waiting"));
        // the second call takes the instance when the first is stopped, and runs past this one's wait
        assertEquals("plugin 'looping': no instance became free within 2000 ms (1 of 1 running and 1 other call(s) waiting when this one "
                + "began to wait)", assertThrows(io.atrium.api.PluginUnavailableException.class, () -> looping.greet("")).getMessage());
        first.join();
        second.join();
        assertEquals(2, failures.size(), "both calls ran past their deadline: " + failures);
    }

    /** A module that imports nothing from Extism's ABI (the C PDK's infinite-loop example) is a plugin: plain exports are Extism functions. */
    @Test
    void aModuleThatImportsNothingIsAPlugin() throws Exception {
        deploy("plain", C_PLAIN, "\"exports\": {\"greet\": \"nothing\"}, \"encoding\": \"raw\"");
        assertEquals("", greeter("plain").greet("ignored"), "an export returning nothing succeeds, with no output");
    }

    /**
     * An output is never cut short: as-pdk 1.0.0's Host.outputString sizes its block in UTF-16 units, so
     * non-ASCII text runs past it; the store fails the call rather than "é" coming back for "éa".
     */
    @Test
    void aStorePastTheEndOfItsBlockFailsTheCall() throws Exception {
        deploy("utf16", MISBEHAVE, "\"exports\": {\"greet\": \"outputString\"}, \"encoding\": \"raw\"");
        assertEquals("plain text", greeter("utf16").greet("plain text"));
        String message = assertThrows(PluginException.class, () -> greeter("utf16").greet("éa")).getMessage();
        assertTrue(message.startsWith("plugin 'utf16': outputString failed: store_") && message.contains(" run past the end of the 2-byte block at ")
                && message.endsWith("; the instance was discarded"), message);
    }

    /** Variables are counted in UTF-8 bytes, key and value, as the plugin wrote them. */
    @Test
    void variablesAreCountedInBytes() throws Exception {
        // key "clé" is 4 bytes (3 chars), value "välue" 6 bytes (5 chars): 10 in all
        deploy("tight", C_ABI, "\"exports\": {\"greet\": \"var_roundtrip\"}, \"encoding\": \"raw\", \"config\": {\"key\": \"clé\"},"
                + " \"limits\": {\"maxVarBytes\": 9}");
        deploy("roomy", C_ABI, "\"exports\": {\"greet\": \"var_roundtrip\"}, \"encoding\": \"raw\", \"config\": {\"key\": \"clé\"},"
                + " \"limits\": {\"maxVarBytes\": 10}");
        assertEquals("plugin 'tight': var_roundtrip failed: var_set('clé'): the plugin's variables would hold 10 bytes, over the limit of 9; "
                + "the instance was discarded", assertThrows(PluginException.class, () -> greeter("tight").greet("välue")).getMessage());
        assertEquals("6 4 välue", greeter("roomy").greet("välue"), "the value's and the key's length in bytes, then the value");
    }

    @Test
    void replacingTheModuleSwapsItLiveWithoutFailingACall() throws Exception {
        deploy("live", GREETER, "");
        Greeter g = greeter("live");
        java.util.concurrent.atomic.AtomicBoolean run = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.ConcurrentHashMap<String, Boolean> seen = new java.util.concurrent.ConcurrentHashMap<>();
        Thread caller = new Thread(() -> {
            while (run.get()) {
                try {
                    seen.put(g.greet("x"), true);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }
        });
        caller.start();
        await("the first module answers", () -> seen.containsKey("Hello, x!"));
        manifest("live", "{\"version\": \"2.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"live.wasm\", "
                + "\"config\": {\"greeting\": \"Howdy\"}}");
        await("the new configuration answers", () -> seen.containsKey("Howdy, x!"));
        Path part = folder.resolve(".live.wasm");
        Files.copy(MISBEHAVE, part);
        manifest("live", "{\"version\": \"3.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"live.wasm\", "
                + "\"exports\": {\"greet\": \"echo\"}, \"encoding\": \"raw\"}");
        Files.move(part, folder.resolve("live.wasm"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        await("the new module answers", () -> seen.containsKey("x"));
        run.set(false);
        caller.join();
        assertEquals(null, failure.get(), "no call failed while the module was swapped");
        await("the registry shows the new version", () -> "3.0.0".equals(atrium.registry().plugin("live").orElseThrow().version()));
    }

    @Test
    void badModulesAndManifestsAreRefusedInOneLine() throws Exception {
        Files.writeString(folder.resolve("text.wasm"), "this is not wasm");
        manifest("text", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"text.wasm\"}");
        Files.write(folder.resolve("cut.wasm"), Arrays.copyOf(Files.readAllBytes(GREETER), 300));
        manifest("cut", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"cut.wasm\"}");
        deploy("noexport", MISBEHAVE, "");
        Files.write(folder.resolve("foreign.wasm"), new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0,
                2, 21, 2, 3, 'e', 'n', 'v', 3, 'f', 'o', 'o', 0, 0, 3, 'e', 'n', 'v', 3, 'b', 'a', 'r', 0, 0});
        manifest("foreign", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"foreign.wasm\"}");
        manifest("missing", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"nowhere.wasm\"}");
        deploy("crowded", GREETER, "\"instances\": 4");
        deploy("pinned", GREETER, "\"sha256\": \"" + "0".repeat(64) + "\"");
        manifest("typo", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"x.wasm\", \"limit\": {}}");
        manifest("grant", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"x.wasm\", \"allowedPaths\": {\"/etc\": \"/etc\"}}");
        manifest("rawint", "{\"version\": \"1\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"x.wasm\", \"encoding\": \"bytes\"}");

        awaitRefused("text.wasm.json", "was not deployed: text.wasm is not a WebAssembly module (it does not start with \\0asm)");
        awaitRefused("cut.wasm.json", "was not deployed: cut.wasm is not a valid module: ");
        awaitRefused("noexport.wasm.json", "was not deployed: noexport.wasm exports no function 'greet'");
        awaitRefused("foreign.wasm.json", "was not deployed: foreign.wasm imports function env.foo, function env.bar, which Atrium "
                + "does not provide (it provides Extism's ABI, extism:host/env, and the host functions bundles provide, in extism:host/user)");
        awaitRefused("missing.wasm.json", "names the module nowhere.wasm, which is missing");
        awaitRefused("crowded.wasm.json", "is not a valid wasm plugin manifest: field 'instances': 4 instances need \"stateless\": true "
                + "(each instance has its own globals and memory, and calls on several at once race on the plugin's variables)");
        awaitRefused("pinned.wasm.json", "was not deployed: pinned.wasm has SHA-256 ");
        awaitRefused("typo.wasm.json", "is not a valid wasm plugin manifest: unknown field 'limit' (known: ");
        awaitRefused("grant.wasm.json", "grants the folder /etc, outside what the configuration io.atrium.wasm allows (allowedRoots: none)");
        awaitRefused("rawint.wasm.json", "is not a valid wasm plugin manifest: field 'encoding': 'bytes' (expected json or raw)");

        deploy("fine", GREETER, "");
        assertEquals("Hello, x!", greeter("fine").greet("x")); // the rest is undisturbed
    }

    @Test
    void compiledModulesAreCachedAcrossRestarts() throws Exception {
        deploy("cached", GREETER, "");
        assertEquals("Hello, x!", greeter("cached").greet("x"));
        Path cache;
        try (var files = Files.walk(work.resolve("data"))) {
            cache = files.filter(p -> p.getFileName().toString().equals("compiled") && Files.isDirectory(p)).findFirst().orElseThrow();
        }
        long entries;
        try (var files = Files.list(cache)) {
            entries = files.count();
        }
        assertTrue(entries >= 1, "the compiled module is on disk");
        atrium.stop();
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        assertEquals("Hello, y!", greeter("cached").greet("y"));
        assertFalse(logs.contains("configuration cached.wasm set from"), "a manifest found before its transport is up is no configuration");
        try (var files = Files.list(cache)) {
            assertEquals(entries, files.count(), "nothing was compiled again");
        }
    }

    /**
     * The compile cache is loaded into the server as JVM classes: one replaced while the server was
     * stopped (here by a jar whose class writes a file when it is made) is discarded, said so, and the
     * module compiled afresh; its class never runs.
     */
    @Test
    void aCompiledModuleReplacedWhileTheServerWasStoppedIsCompiledAfresh() throws Exception {
        deploy("cached", GREETER, "");
        assertEquals("Hello, x!", greeter("cached").greet("x"));
        atrium.stop();
        Path ran = work.resolve("ran");
        Path jar = machineJar(ran);
        List<Path> entries;
        try (var files = Files.walk(work.resolve("data"))) {
            entries = files.filter(p -> p.getParent().getFileName().toString().equals("compiled") && Files.isRegularFile(p)).toList();
        }
        assertFalse(entries.isEmpty(), "the compiled module is on disk");
        for (Path entry : entries) {
            Files.copy(jar, entry, StandardCopyOption.REPLACE_EXISTING);
        }
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        await("the plugin is deployed again, or the replaced classes ran", () -> Files.exists(ran) || atrium.service(Greeter.class, "cached").isPresent());
        assertFalse(Files.exists(ran), "the class put in the cache ran inside the server");
        assertEquals("Hello, y!", greeter("cached").greet("y"));
        assertTrue(info("cached").contains("engine        compiled"), info("cached"));
        assertTrue(log.stream().anyMatch(l -> l.contains("plugin 'cached': the compiled copy of cached.wasm in the cache (")
                && l.contains(") is not as this server wrote it (its seal does not match); discarded, the module is compiled afresh")), String.join("\n", log));
    }

    /** A cache entry as Chicory writes one (wasm-module.properties naming the machine class, and the class), made of a class of the test's own. */
    private Path machineJar(Path marker) throws Exception {
        Path src = Files.createDirectories(work.resolve("machine-src/evil"));
        Files.writeString(src.resolve("Machine.java"), """
                package evil;
                public final class Machine implements com.dylibso.chicory.runtime.Machine {
                    public Machine(com.dylibso.chicory.runtime.Instance instance) {
                        try {
                            java.nio.file.Files.writeString(java.nio.file.Path.of("%s"), "ran inside the server");
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                    public long[] call(int function, long[] args) {
                        throw new IllegalStateException("not the module's code");
                    }
                }
                """.formatted(marker));
        Path classes = Files.createDirectories(work.resolve("machine-classes"));
        int rc = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), "--release", "17",
                "-cp", System.getProperty("atrium.wasm.jar"), src.resolve("Machine.java").toString());
        assertEquals(0, rc, "javac");
        Path jar = work.resolve("machine.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry("wasm-module.properties"));
            out.write("mainClass=evil.Machine\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new java.util.jar.JarEntry("evil/Machine.class"));
            out.write(Files.readAllBytes(classes.resolve("evil/Machine.class")));
            out.closeEntry();
        }
        return jar;
    }

    @Test
    void wasiReachesOnlyTheFoldersTheManifestGrantsWithinThePolicy() throws Exception {
        Path root = Files.createDirectories(work.resolve("granted"));
        Path data = Files.createDirectories(root.resolve("data"));
        Files.writeString(data.resolve("hello.txt"), "hello from a granted folder");
        Files.writeString(work.resolve("secret.txt"), "not for plugins");
        Files.writeString(folder.resolve("io.atrium.wasm.cfg"), "allowedRoots = " + root + "\n");
        await("the policy is applied", () -> "active".equals(PluginFacts.fileState(atrium, "io.atrium.wasm.cfg")));
        Thread.sleep(200);

        deploy("reader", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"" + data + "\": \"/data\"}");
        Greeter reader = greeter("reader");
        assertEquals("hello from a granted folder", reader.greet("hello.txt"));
        PluginException outside = assertThrows(PluginException.class, () -> reader.greet("../../secret.txt"));
        assertTrue(outside.getMessage().startsWith("plugin 'reader': read failed with status 1: path_open errno "), outside.getMessage());

        deploy("greedy", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"allowedPaths\": {\"" + work + "\": \"/all\"}");
        deploy("ghost", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"allowedPaths\": {\"no-such-folder\": \"/x\"}");
        deploy("ungranted", C_FILES, "\"exports\": {\"greet\": \"read\"}");
        awaitRefused("greedy.wasm.json", "grants the folder " + work + ", outside what the configuration io.atrium.wasm allows (allowedRoots: [" + root + "])");
        awaitRefused("ghost.wasm.json", "grants the folder " + folder.resolve("no-such-folder") + ", which does not exist");
        awaitRefused("ungranted.wasm.json", "was not deployed: ungranted.wasm imports function wasi_snapshot_preview1.path_open, "
                + "function wasi_snapshot_preview1.fd_read, function wasi_snapshot_preview1.fd_close, function wasi_snapshot_preview1.fd_write, function wasi_snapshot_preview1.random_get, "
                + "which Atrium does not provide (it provides Extism's ABI, extism:host/env, WASI to manifests that say \"wasi\": true,"
                + " and the host functions bundles provide, in extism:host/user)");
    }

    @Test
    void allWasmInstancesShareOneHeapBudget() throws Exception {
        atrium.stop();
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).frameworkProperty("atrium.wasm.memoryBudgetMb", "3").start();
        deploy("first", GREETER, "\"limits\": {\"memoryMb\": 2}, \"instances\": 1");
        assertEquals("Hello, x!", greeter("first").greet("x"));
        deploy("second", GREETER, "\"limits\": {\"memoryMb\": 2}");
        awaitRefused("second.wasm.json", "was not deployed: cannot have an instance: its 2 MiB of memory do not fit in what is left of "
                + "the wasm memory budget of 3 MiB");
        Files.delete(folder.resolve("first.wasm.json"));
        await("the first plugin is gone", () -> atrium.registry().plugin("first").isEmpty());
        Files.writeString(folder.resolve("second.wasm.json"), Files.readString(folder.resolve("second.wasm.json")) + " ");
        assertEquals("Hello, y!", greeter("second").greet("y")); // its memory came back to the budget
    }

    @Test
    void httpReachesOnlyTheHostsTheManifestGrants() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hello", exchange -> {
            byte[] body = "hello over http".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/big", exchange -> {
            exchange.sendResponseHeaders(200, 100_000);
            exchange.getResponseBody().write(new byte[100_000]);
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            deploy("fetcher", C_HTTP, "\"exports\": {\"greet\": \"fetch\"}, \"encoding\": \"raw\", \"allowedHosts\": [\"127.0.0.1\"], "
                    + "\"limits\": {\"maxHttpResponseBytes\": 65536}");
            deploy("offline", C_HTTP, "\"exports\": {\"greet\": \"fetch\"}, \"encoding\": \"raw\"");
            deploy("elsewhere", C_HTTP, "\"exports\": {\"greet\": \"fetch\"}, \"encoding\": \"raw\", \"allowedHosts\": [\"*.example.com\"]");
            assertEquals("hello over http", greeter("fetcher").greet(base + "/hello"));
            assertEquals("plugin 'fetcher': fetch failed: http_request: the response from 127.0.0.1 is over the limit of 65536 bytes; "
                    + "the instance was discarded", assertThrows(PluginException.class, () -> greeter("fetcher").greet(base + "/big")).getMessage());
            assertEquals("plugin 'offline': fetch failed: http_request: the plugin is granted no hosts (allowedHosts in its manifest); "
                    + "the instance was discarded", assertThrows(PluginException.class, () -> greeter("offline").greet(base + "/hello")).getMessage());
            assertEquals("plugin 'elsewhere': fetch failed: http_request: 127.0.0.1 is not among the plugin's allowedHosts [*.example.com]; "
                    + "the instance was discarded", assertThrows(PluginException.class, () -> greeter("elsewhere").greet(base + "/hello")).getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aReadOnlyGrantRefusesWritesAndCostsNoCopy() throws Exception {
        Path root = Files.createDirectories(work.resolve("granted"));
        Path shared = Files.createDirectories(root.resolve("shared"));
        Path scratch = Files.createDirectories(root.resolve("scratch"));
        Files.writeString(shared.resolve("hello.txt"), "read-only hello");
        drop("io.atrium.wasm.cfg", "allowedRoots = " + root + "\n");
        await("the policy is applied", () -> "active".equals(PluginFacts.fileState(atrium, "io.atrium.wasm.cfg")));
        Thread.sleep(200);
        deploy("ro-reader", C_FILES, "\"exports\": {\"greet\": \"read\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"ro:" + shared + "\": \"/data\"}");
        deploy("ro-writer", C_FILES, "\"exports\": {\"greet\": \"write\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"ro:" + shared + "\": \"/data\"}");
        deploy("rw-writer", C_FILES, "\"exports\": {\"greet\": \"write\"}, \"encoding\": \"raw\", \"allowedPaths\": {\"" + scratch + "\": \"/data\"}");
        java.util.function.Supplier<List<String>> copies = () -> {
            try (var tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
                return tmp.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("atrium-wasm-ro-")).toList();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        List<String> before = copies.get();
        assertEquals("read-only hello", greeter("ro-reader").greet("hello.txt"));
        // as a read-only mount: the write is refused (it once went to a private copy in /tmp, without a limit)
        PluginException refused = assertThrows(PluginException.class, () -> greeter("ro-writer").greet("new.txt"));
        assertTrue(refused.getMessage().startsWith("plugin 'ro-writer': write failed with status 1: path_open errno "), refused.getMessage());
        assertTrue(Files.notExists(shared.resolve("new.txt")), "a write under a read-only grant never reaches the host");
        assertEquals(before, copies.get(), "no copy of the folder was made");
        assertEquals("ok", greeter("rw-writer").greet("new.txt"));
        assertEquals("written by wasm", Files.readString(scratch.resolve("new.txt")));
    }
}
