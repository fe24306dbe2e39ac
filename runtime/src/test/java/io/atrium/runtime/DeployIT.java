package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/** The watched plugin folder, on a real server with real files: drop, replace, delete, configure, restart. */
class DeployIT {
    @TempDir
    Path work;
    Atrium atrium;

    @AfterEach
    void stop() {
        if (atrium != null) {
            atrium.stop();
        }
    }

    private Path folder() throws Exception {
        return Files.createDirectories(work.resolve("plugins"));
    }

    private Atrium start() throws Exception {
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder()).start();
        return atrium;
    }

    /**
     * A transport's bundle declares the files it deploys twice: in its manifest (the io.atrium.artifact
     * capability, read before the transport starts so its files wait for it) and on its handler service
     * (the suffix property and kind()). They must agree, or its files wait for a transport that never
     * comes, or are read as configuration files.
     */
    @Test
    void everyTransportsDeclaredFilesAreTheFilesItsHandlerDeploys() throws Exception {
        start();
        org.osgi.framework.BundleContext context = atrium.bundleContext();
        Map<String, String> declared = new java.util.TreeMap<>(); // kind -> suffix, from the bundles' manifests
        Map<String, String> served = new java.util.TreeMap<>(); // kind -> suffix, from the handler services
        await("the transports' handlers are registered", () -> {
            declared.clear();
            served.clear();
            for (Bundle b : context.getBundles()) {
                var revision = b.adapt(org.osgi.framework.wiring.BundleRevision.class);
                if (revision == null) {
                    continue;
                }
                for (var c : revision.getDeclaredCapabilities(io.atrium.spi.ArtifactHandler.NAMESPACE)) {
                    if (c.getAttributes().get("suffix") != null) { // a kind without files (native-in-process) has no handler
                        declared.put(String.valueOf(c.getAttributes().get("kind")), suffixes(c.getAttributes().get("suffix")));
                    }
                }
                for (var ref : b.getRegisteredServices() == null ? new org.osgi.framework.ServiceReference<?>[0] : b.getRegisteredServices()) {
                    if (Arrays.asList((String[]) ref.getProperty(org.osgi.framework.Constants.OBJECTCLASS)).contains(io.atrium.spi.ArtifactHandler.class.getName())) {
                        io.atrium.spi.ArtifactHandler h = (io.atrium.spi.ArtifactHandler) context.getService(ref);
                        served.put(h.kind(), suffixes(ref.getProperty(io.atrium.spi.ArtifactHandler.SUFFIX)));
                        context.ungetService(ref);
                    }
                }
            }
            return served.keySet().containsAll(List.of("process", "wasm", "grpc", "script", "native"));
        });
        assertEquals(served, declared);
    }

    /** @return the endings a capability attribute or service property names (a String, String[] or List), comma-separated */
    private static String suffixes(Object value) {
        List<?> all = value instanceof String[] a ? List.of(a) : value instanceof List<?> l ? l : List.of(String.valueOf(value));
        return String.join(",", all.stream().map(String::valueOf).toList());
    }

    /** The documented way to deploy: write under a .part name, then rename into place. */
    static Path drop(Path jar, Path folder, String name) throws Exception {
        Path part = folder.resolve(name + ".part");
        Files.copy(jar, part, StandardCopyOption.REPLACE_EXISTING);
        return Files.move(part, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits up to 15 s until the condition holds; an exception from the condition fails at once. */
    static void await(String what, BooleanSupplier condition) {
        await(() -> what, condition);
    }

    /** As {@link #await(String, BooleanSupplier)}, {@code what} asked for only when it times out (to say what it saw last). */
    static void await(Supplier<String> what, BooleanSupplier condition) {
        await(what, Duration.ofSeconds(15), condition);
    }

    /** Waits up to {@code within}, checking every 10 ms. */
    static void await(Supplier<String> what, Duration within, BooleanSupplier condition) {
        await(what, within, Duration.ofMillis(10), condition);
    }

    /** Awaitility polls, in the test's own thread (as a plain loop would); its exceptions are not caught, so they fail at once. */
    static void await(Supplier<String> what, Duration within, Duration every, BooleanSupplier condition) {
        try {
            Awaitility.await().atMost(within).pollDelay(Duration.ZERO).pollInterval(every).pollInSameThread()
                    .dontCatchUncaughtExceptions() // a plugin's thread may die on purpose: that is not the test's failure
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            fail("timed out waiting until " + what.get() + " (" + within.toSeconds() + " s)", e);
        }
    }

    /** @return the plugin's greeting, or null when it is not there (or goes away while being called) */
    String greet(String plugin) {
        try {
            return atrium.service(Greeter.class, plugin).map(g -> g.greet("x")).orElse(null);
        } catch (io.atrium.api.PluginUnavailableException goneMeanwhile) {
            return null;
        }
    }

    /** The plugin folder's row of a file, or null when it does not list it. */
    io.atrium.api.PluginFolder.File row(String file) {
        return PluginFacts.file(atrium, file).orElse(null);
    }

    void awaitState(String file, String state) throws InterruptedException {
        await(() -> file + " is " + state + " in\n" + PluginFacts.folder(atrium), () -> state.equals(PluginFacts.fileState(atrium, file)));
    }

    Bundle bundle(String bsn) {
        return Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst().orElse(null);
    }

    @Test
    void dropReplaceTakeOverAndDelete() throws Exception {
        Path folder = folder();
        start();
        Path v1 = TestPlugins.dsGreeter(work, "test.live", "1.0.0", "live", "Hi");
        Path v2 = TestPlugins.dsGreeter(work, "test.live", "2.0.0", "live", "Hello");
        Path v3 = TestPlugins.dsGreeter(work, "test.live", "3.0.0", "live", "Howdy");

        drop(v1, folder, "live.jar");
        await("the dropped plugin answers", () -> "Hi, x".equals(greet("live")));
        long id = bundle("test.live").getBundleId();
        var live = row("live.jar");
        assertEquals(List.of("bundle", "test.live 1.0.0", "active", id), List.of(live.kind(), live.target(), live.state(), live.bundleId()));

        drop(v2, folder, "live.jar"); // replaced: the same bundle is updated in place
        await("the new version answers", () -> "Hello, x".equals(greet("live")));
        assertEquals(id, bundle("test.live").getBundleId());
        assertEquals("2.0.0", bundle("test.live").getVersion().toString());

        drop(v3, folder, "live-3.jar"); // a second file with the same bundle is refused while the first is there
        awaitState("live-3.jar", "refused");
        assertTrue(row("live-3.jar").detail().contains("which live.jar (version 2.0.0) already provides; remove one of the two files"),
                row("live-3.jar").detail());
        Files.delete(folder.resolve("live.jar")); // ... and takes over, as an update, once the first is gone
        await("the third version answers", () -> "Howdy, x".equals(greet("live")));
        assertEquals(id, bundle("test.live").getBundleId());
        awaitState("live-3.jar", "active");

        Files.delete(folder.resolve("live-3.jar"));
        await("the plugin is gone", () -> bundle("test.live") == null);
        assertEquals(null, greet("live"));
        assertEquals(List.of(), PluginFacts.files(atrium));
    }

    /** Other bundles see a plugin only through its facade: neither in lookups nor in service events. */
    @Test
    void otherBundlesSeeOnlyTheFacadeNeverThePluginsOwnService() throws Exception {
        Path folder = folder();
        start();
        // a bundle of its own looks (the system bundle's view is exempt from service hooks)
        drop(TestPlugins.dsGreeter(work, "test.onlooker", "1.0.0", "onlooker", "Hey"), folder, "onlooker.jar");
        await("the onlooker is deployed", () -> "Hey, x".equals(greet("onlooker")));
        org.osgi.framework.BundleContext onlooker = bundle("test.onlooker").getBundleContext();
        List<org.osgi.framework.ServiceReference<?>> registered = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.osgi.framework.ServiceListener listener = event -> {
            if (event.getType() == org.osgi.framework.ServiceEvent.REGISTERED) {
                registered.add(event.getServiceReference());
            }
        };
        onlooker.addServiceListener(listener, "(objectClass=" + Greeter.class.getName() + ")");
        try {
            drop(TestPlugins.dsGreeter(work, "test.seen", "1.0.0", "seen", "Hi"), folder, "seen.jar");
            await("the plugin answers", () -> "Hi, x".equals(greet("seen")));
            List<String> kinds = registered.stream().filter(r -> "seen".equals(r.getProperty(io.atrium.api.PluginProperties.NAME)))
                    .map(r -> r.getProperty(io.atrium.api.PluginProperties.FACADE) != null ? "facade" : "plugin's own").toList();
            assertEquals(List.of("facade"), kinds, "registrations this bundle's listener was told of");
            var refs = onlooker.getServiceReferences(Greeter.class, "(" + io.atrium.api.PluginProperties.NAME + "=seen)");
            assertEquals(1, refs.size(), "references this bundle finds: " + refs);
            assertTrue(refs.iterator().next().getProperty(io.atrium.api.PluginProperties.FACADE) != null);
        } finally {
            onlooker.removeServiceListener(listener);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void updatesUnderConcurrentCallsFailNoCall() throws Exception {
        Path folder = folder();
        start();
        drop(TestPlugins.dsGreeter(work, "test.busy", "1.0.0", "busy", "v1"), folder, "busy.jar");
        // a consumer bundle with the most common reference: static, mandatory, injected in a field
        drop(TestPlugins.bundle(work, "test.consumer", "1.0.0", Map.of("test.consumer.Consumer", """
                package test.consumer;
                import io.atrium.api.greeting.Greeter;
                import java.util.function.UnaryOperator;
                import org.osgi.service.component.annotations.*;
                @Component(service = UnaryOperator.class, property = "consumer=busy")
                public class Consumer implements UnaryOperator<String> {
                    static int activations;
                    @Reference(target = "(atrium.plugin.name=busy)") Greeter greeter;
                    @Activate void activate() { activations++; }
                    public String apply(String who) { return greeter.greet(who) + "#" + activations; }
                }
                """), Map.of()), folder, "consumer.jar");
        await("both are deployed", () -> "v1, x".equals(greet("busy")) && consumer() != null);
        Greeter held = atrium.service(Greeter.class, "busy").orElseThrow();
        UnaryOperator<String> viaDs = consumer();
        long id = bundle("test.busy").getBundleId();

        java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.List<Thread> callers = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            boolean ds = i % 2 == 0;
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        seen.add(ds ? viaDs.apply("x") : held.greet("x"));
                        calls.incrementAndGet();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            });
            t.start();
            callers.add(t);
        }
        try {
            // the callers' first answers come from version 1 before it is updated (a loaded machine may start them late)
            await(() -> "every caller has called version 1 (it saw " + seen + ")", () -> seen.containsAll(List.of("v1, x", "v1, x#1")));
            for (int v = 2; v <= 4; v++) {
                String expected = "v" + v + ", x";
                drop(TestPlugins.dsGreeter(work, "test.busy", v + ".0.0", "busy", "v" + v), folder, "busy.jar");
                await("version " + v + " answers the held reference (it says " + held.greet("x") + ", a new lookup says "
                        + greet("busy") + ")", () -> expected.equals(held.greet("x")));
            }
        } finally {
            running.set(false);
            for (Thread t : callers) {
                t.join(10_000);
            }
        }
        assertEquals(List.of(), failures.stream().map(Throwable::toString).distinct().toList(), "no call may fail");
        assertTrue(seen.containsAll(List.of("v1, x", "v1, x#1", "v2, x", "v3, x", "v4, x", "v4, x#1")), "every version answered: " + seen);
        assertTrue(calls.get() > 1000, "calls made: " + calls);
        assertEquals(id, bundle("test.busy").getBundleId(), "updated in place");
        assertEquals("v4, x#1", viaDs.apply("x"), "the consumer was never deactivated");
    }

    @SuppressWarnings("unchecked")
    UnaryOperator<String> consumer() {
        try {
            var refs = atrium.bundleContext().getAllServiceReferences(UnaryOperator.class.getName(), "(consumer=busy)");
            return refs == null ? null : (UnaryOperator<String>) atrium.bundleContext().getService(refs[0]);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shellCommandsInstallUpdateReloadAndUninstall() throws Exception {
        Path folder = folder();
        TestPlugins.samplePlugins(folder);
        start();
        Path outside = Files.createDirectories(work.resolve("elsewhere"));
        Path jar = Files.copy(TestPlugins.dsGreeter(work, "test.shell", "1.0.0", "shell", "One"), outside.resolve("shell.jar"));

        CommandResult installed = atrium.execute("plugin:install " + jar);
        assertEquals(0, installed.status(), installed.output());
        assertTrue(installed.output().matches("installed test\\.shell 1\\.0\\.0 \\[\\d+]: active\n"), installed.output());
        assertEquals("One, x", greet("shell"));
        assertTrue(row(jar.toString()) != null && row("io.atrium.sample.greeter.jar") != null, PluginFacts.folder(atrium));

        Files.copy(TestPlugins.dsGreeter(work, "test.shell", "1.1.0", "shell", "Two"), jar, StandardCopyOption.REPLACE_EXISTING);
        CommandResult updated = atrium.execute("plugin:update shell");
        assertEquals(0, updated.status(), updated.output());
        assertEquals("Two, x", greet("shell"));

        CommandResult reloaded = atrium.execute("plugin:reload english");
        assertEquals(0, reloaded.status(), reloaded.output());
        assertEquals("reloaded english: active\n", reloaded.output());
        assertEquals("Hello, x!", greet("english"));

        bundle("io.atrium.sample.greeter").stop(); // an operator's stop, outside the deployer
        assertEquals("stopped", row("io.atrium.sample.greeter.jar").state());
        assertEquals(null, greet("english"));
        assertEquals(0, atrium.execute("plugin:reload io.atrium.sample.greeter").status());
        assertEquals("active", row("io.atrium.sample.greeter.jar").state());
        assertEquals("Hello, x!", greet("english"));

        CommandResult refused = atrium.execute("plugin:uninstall english");
        assertEquals(1, refused.status());
        assertEquals("Error: io.atrium.sample.greeter comes from " + folder.resolve("io.atrium.sample.greeter.jar")
                + "; delete that file to uninstall it\n", refused.output());

        assertEquals(0, atrium.execute("plugin:uninstall test.shell").status());
        assertEquals(null, bundle("test.shell"));
        assertEquals(null, greet("shell"));

        assertEquals("Error: " + work.resolve("nope.jar") + " does not exist\n", atrium.execute("plugin:install " + work.resolve("nope.jar")).output());
        assertEquals("Error: unknown plugin 'ghost' (not a plugin name, bundle symbolic name, bundle id or plugin file)\n",
                atrium.execute("plugin:update ghost").output());
        assertEquals("Error: io.atrium.sample.greeter is already installed from atrium:plugin/io.atrium.sample.greeter\n",
                atrium.execute("plugin:install " + folder.resolve("io.atrium.sample.greeter.jar")).output());
    }

    @Test
    void aSlowCopyInPlaceIsWaitedForAndNeverUninstallsThePlugin() throws Exception {
        Path folder = folder();
        start();
        drop(TestPlugins.dsGreeter(work, "test.slow", "1.0.0", "slow", "Old"), folder, "slow.jar");
        await("the plugin answers", () -> "Old, x".equals(greet("slow")));
        long id = bundle("test.slow").getBundleId();
        java.util.concurrent.atomic.AtomicInteger uninstalls = new java.util.concurrent.atomic.AtomicInteger();
        atrium.bundleContext().addBundleListener(e -> {
            if (e.getType() == org.osgi.framework.BundleEvent.UNINSTALLED) {
                uninstalls.incrementAndGet();
            }
        });

        byte[] next = Files.readAllBytes(TestPlugins.dsGreeter(work, "test.slow", "2.0.0", "slow", "New"));
        try (var out = Files.newOutputStream(folder.resolve("slow.jar"))) { // overwritten in place, with a stall
            out.write(next, 0, next.length / 2);
            out.flush();
            Thread.sleep(700);
            assertEquals("Old, x", greet("slow"), "the half-written file changes nothing");
            assertEquals("waiting", row("slow.jar").state(), "it is waited for");
            out.write(next, next.length / 2, next.length - next.length / 2);
        }
        await("the complete file updates the plugin", () -> "New, x".equals(greet("slow")));
        assertEquals(id, bundle("test.slow").getBundleId());
        assertEquals(0, uninstalls.get(), "never uninstalled on the way");
    }

    @Test
    void factoryConfigurationFilesMakeOneComponentEach() throws Exception {
        Path folder = folder();
        Path jar = TestPlugins.bundle(work, "test.factory", "1.0.0", Map.of("test.factory.F", """
                package test.factory;
                import io.atrium.api.greeting.Greeter;
                import java.util.Map;
                import org.osgi.service.component.annotations.*;
                @Component(configurationPid = "greeter.each", configurationPolicy = ConfigurationPolicy.REQUIRE)
                public class F implements Greeter {
                    String greeting;
                    @Activate void activate(Map<String, Object> config) { greeting = (String) config.get("greeting"); }
                    public String greet(String who) { return greeting + ", " + who; }
                }
                """), Map.of());
        Files.writeString(folder.resolve("greeter.each~fr.cfg"), "greeting = Bonjour\natrium.plugin.name = french\n");
        Files.writeString(folder.resolve("greeter.each~de.json"), "{\"greeting\": \"Hallo\", \"atrium.plugin.name\": \"german\"}");
        drop(jar, folder, "factory.jar");
        start();
        assertEquals("Bonjour, x", greet("french"));
        assertEquals("Hallo, x", greet("german"));
        var fr = row("greeter.each~fr.cfg");
        assertEquals(List.of("config", "greeter.each~fr"), List.of(fr.kind(), fr.target()), PluginFacts.folder(atrium));

        Files.delete(folder.resolve("greeter.each~de.json"));
        await("deleting a factory configuration's file removes its component", () -> greet("german") == null);
        assertEquals("Bonjour, x", greet("french"));
    }

    @Test
    void restartReconcilesWhatChangedWhileDown() throws Exception {
        Path folder = folder();
        drop(TestPlugins.dsGreeter(work, "test.a", "1.0.0", "a", "A"), folder, "a.jar");
        drop(TestPlugins.dsGreeter(work, "test.b", "1.0.0", "b", "B1"), folder, "b.jar");
        start();
        assertEquals("A, x", greet("a"));
        long b = bundle("test.b").getBundleId();
        atrium.stop();
        atrium = null;

        Files.delete(folder.resolve("a.jar"));
        drop(TestPlugins.dsGreeter(work, "test.b", "1.1.0", "b", "B2"), folder, "b.jar");
        drop(TestPlugins.dsGreeter(work, "test.c", "1.0.0", "c", "C"), folder, "c.jar");
        start();
        assertEquals(null, bundle("test.a"), "removed while down: uninstalled");
        assertEquals("B2, x", greet("b"), "changed while down: updated");
        assertEquals(b, bundle("test.b").getBundleId(), "updated in place, not reinstalled");
        assertEquals("C, x", greet("c"), "added while down: installed");
        assertEquals(1, Arrays.stream(atrium.bundleContext().getBundles()).filter(x -> "test.c".equals(x.getSymbolicName())).count());
        atrium.stop();

        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start(); // nothing changed: nothing happens
        assertEquals(b, bundle("test.b").getBundleId());
        assertEquals(List.of("b.jar", "c.jar"), PluginFacts.files(atrium).stream().map(io.atrium.api.PluginFolder.File::file).toList());
    }

    @Test
    void configurationFilesReachTheComponentsLive() throws Exception {
        Path folder = folder();
        Path jar = TestPlugins.bundle(work, "test.configured", "1.0.0", Map.of("test.configured.C", """
                package test.configured;
                import io.atrium.api.greeting.Greeter;
                import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
                import org.osgi.service.component.annotations.*;
                @Component(configurationPid = "greeter.configured", property = "atrium.plugin.name=configured")
                public class C implements Greeter {
                    volatile String greeting = "none";
                    volatile int modified;
                    @Activate void activate(Map<String, Object> config) {
                        Object count = config.get("count");
                        greeting = config.getOrDefault("greeting", "none") + (count instanceof Long ? "#" + count : "");
                    }
                    @Modified void modified(Map<String, Object> config) { modified++; activate(config); }
                    public String greet(String who) { return greeting + "/" + modified + ", " + who; }
                }
                """), Map.of());
        Files.writeString(folder.resolve("greeter.configured.cfg"), "greeting = Ahoy\n");
        drop(jar, folder, "configured.jar");
        start();
        assertEquals("Ahoy/0, x", greet("configured"), "the configuration was there before the component started");

        Files.writeString(folder.resolve("greeter.configured.cfg"), "greeting = Ahoy!\n");
        await("the component is modified", () -> "Ahoy!/1, x".equals(greet("configured")));

        Files.delete(folder.resolve("greeter.configured.cfg"));
        Files.writeString(folder.resolve("greeter.configured.json.part"), "{\"greeting\": \"Hej\", \"count\": 3}");
        Files.move(folder.resolve("greeter.configured.json.part"), folder.resolve("greeter.configured.json"), StandardCopyOption.ATOMIC_MOVE);
        await("the JSON configuration is applied with its types (now: " + greet("configured") + ")",
                () -> String.valueOf(greet("configured")).startsWith("Hej#3/")); // count arrived as a Long

        try (LogCapture logs = new LogCapture()) {
            Files.delete(folder.resolve("greeter.configured.json"));
            await("deleting the file removes the configuration (now: " + greet("configured") + ")",
                    () -> String.valueOf(greet("configured")).startsWith("none/"));
            await(() -> "the deletion is logged: " + logs.lines, () -> logs.contains("configuration greeter.configured deleted: greeter.configured.json was removed"));
            assertFalse(logs.contains("handler failed"), logs.lines.toString());
        }
        assertTrue(Files.notExists(folder.resolve("greeter.configured.cfg")), "Atrium never writes files back");
    }

    @Test
    void badFilesAreReportedAndDisturbNothing() throws Exception {
        Path folder = folder();
        TestPlugins.samplePlugins(folder);
        start();
        long english = bundle("io.atrium.sample.greeter").getBundleId();
        FileTime old = FileTime.from(Instant.now().minusSeconds(60)); // settled files: refused at once, not waited for

        Path good = TestPlugins.dsGreeter(work, "test.good", "1.0.0", "good", "Good");
        byte[] goodBytes = Files.readAllBytes(good);
        Map<String, String> expected = new java.util.LinkedHashMap<>();

        write(folder, "not-a-jar.jar", "just text".getBytes(), old);
        expected.put("not-a-jar.jar", "is not a valid jar: it is not a zip file");
        write(folder, "truncated.jar", Arrays.copyOf(goodBytes, goodBytes.length / 2), old);
        expected.put("truncated.jar", "is not a valid jar: not a complete zip file (no end of central directory)");
        write(folder, "empty.jar", new byte[0], old);
        expected.put("empty.jar", "is not a valid jar: the file is empty");
        write(folder, "no-bsn.jar", jarWithManifest("Manifest-Version: 1.0\nBundle-Name: nameless\n"), old);
        expected.put("no-bsn.jar", "has no Bundle-SymbolicName: not an OSGi bundle");
        write(folder, "r3.jar", jarWithManifest("Manifest-Version: 1.0\nBundle-SymbolicName: test.r3\n"), old);
        expected.put("r3.jar", "has an OSGi R3 manifest (no Bundle-ManifestVersion: 2); rebuild it with bnd");
        drop(TestPlugins.dist().resolve("plugins/io.atrium.sample.greeter.jar"), folder, "copy of english.jar");
        expected.put("copy of english.jar", "holds io.atrium.sample.greeter 0.1.0.SNAPSHOT, which io.atrium.sample.greeter.jar (version 0.1.0.SNAPSHOT) already provides; remove one of the two files");
        Files.createDirectories(folder.resolve("folder.jar"));
        expected.put("folder.jar", "is a folder, not a jar");
        Files.createSymbolicLink(folder.resolve("link.jar"), Files.writeString(work.resolve("notes.txt"), "not a jar"));
        expected.put("link.jar", "is a symbolic link to " + work.resolve("notes.txt").toRealPath()
                + ", outside the plugin folder (trust policy: allowLinksOutside = false)");
        Files.setLastModifiedTime(work.resolve("notes.txt"), old);
        drop(embeddingApi(), folder, "embeds-api.jar");
        expected.put("embeds-api.jar", "embeds its own copy of io.atrium.api.greeting instead of importing it; consumers would never see its services");

        for (var e : expected.entrySet()) {
            awaitState(e.getKey(), "refused");
            String detail = row(e.getKey()).detail();
            assertTrue(detail.startsWith(e.getValue()), e.getKey() + ": " + detail);
        }

        drop(TestPlugins.greeterPlugin(work, "test.v2", "future", TestPlugins.api(work, "2.0.0")), folder, "v2.jar");
        awaitState("v2.jar", "unresolved");
        assertTrue(row("v2.jar").detail().contains("needs package io.atrium.api.greeting [2.0.0,3.0.0)"), row("v2.jar").detail());

        drop(TestPlugins.bundle(work, "test.boom", "1.0.0", Map.of("test.boom.Boom", """
                package test.boom;
                public class Boom implements org.osgi.framework.BundleActivator {
                    public void start(org.osgi.framework.BundleContext c) { throw new IllegalStateException("boom at start"); }
                    public void stop(org.osgi.framework.BundleContext c) { }
                }
                """), Map.of("Bundle-Activator", "test.boom.Boom")), folder, "activator-throws.jar");
        awaitState("activator-throws.jar", "failed");
        assertEquals("failed to start: IllegalStateException: boom at start", row("activator-throws.jar").detail());

        drop(TestPlugins.bundle(work, "test.dsthrows", "1.0.0", Map.of("test.dsthrows.D", """
                package test.dsthrows;
                import org.osgi.service.component.annotations.*;
                @Component(immediate = true)
                public class D { @Activate void activate() { throw new IllegalStateException("no database"); } }
                """), Map.of()), folder, "ds-throws.jar");
        awaitState("ds-throws.jar", "active");
        await(() -> "the failed component is a problem: " + atrium.registry().problems(), () -> PluginFacts.problem(atrium, "test.dsthrows")
                .map(p -> p.reason().contains("component test.dsthrows.D failed to activate")).orElse(false));

        drop(good, folder, "ünïcode plugin — ok.jar");
        await("a file name with spaces and non-ASCII characters deploys", () -> "Good, x".equals(greet("good")));

        Path vanishing = drop(TestPlugins.dsGreeter(work, "test.vanishing", "1.0.0", "vanishing", "Bye"), folder, "vanishing.jar");
        Files.delete(vanishing);
        await("a jar removed while being installed leaves nothing", () -> bundle("test.vanishing") == null && row("vanishing.jar") == null);

        // nothing else was disturbed, and every bad file is still where it was
        assertEquals("Hello, x!", greet("english"));
        assertEquals("Salom, x!", greet("uzbek"));
        assertEquals(english, bundle("io.atrium.sample.greeter").getBundleId());
        for (String file : expected.keySet()) {
            assertTrue(Files.exists(folder.resolve(file), java.nio.file.LinkOption.NOFOLLOW_LINKS), file + " was left where it is");
        }
        List<io.atrium.api.PluginProblem> problems = atrium.registry().problems();
        assertTrue(PluginFacts.problem(atrium, "test.v2").map(p -> p.source().startsWith("version 1.0.0")).orElse(false), problems.toString());
        assertTrue(PluginFacts.problem(atrium, "test.boom").map(p -> p.source().startsWith("version 1.0.0")).orElse(false), problems.toString());
        assertTrue(problems.stream().noneMatch(p -> p.plugin().startsWith("io.atrium.sample")), "the samples are no problem: " + problems);
        assertTrue(PluginFacts.problem(atrium, "empty.jar").map(p -> p.source().equals("plugin folder")
                && p.reason().startsWith("is not a valid jar: the file is empty")).orElse(false), "refused files are problems: " + problems);
    }

    private static void write(Path folder, String name, byte[] bytes, FileTime mtime) throws Exception {
        Path part = folder.resolve(name + ".part");
        Files.write(part, bytes);
        Files.setLastModifiedTime(part, mtime);
        Files.move(part, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] jarWithManifest(String manifest) throws Exception {
        var bytes = new java.io.ByteArrayOutputStream();
        try (var jar = new java.util.jar.JarOutputStream(bytes, new java.util.jar.Manifest(new java.io.ByteArrayInputStream(manifest.getBytes())))) {
            jar.putNextEntry(new java.util.zip.ZipEntry("readme.txt"));
            jar.write("hello".getBytes());
        }
        return bytes.toByteArray();
    }

    /** A plugin that carries the Greeter contract's classes itself instead of importing them. */
    private Path embeddingApi() throws Exception {
        Path out = work.resolve("embeds-api.jar");
        try (aQute.bnd.osgi.Builder b = new aQute.bnd.osgi.Builder()) {
            b.setProperty("Bundle-SymbolicName", "test.embeds");
            b.setProperty("Private-Package", "io.atrium.api.greeting");
            b.setProperty("Import-Package", "!io.atrium.api.greeting, *");
            b.addClasspath(TestPlugins.apiJar().toFile());
            b.build().write(out.toFile());
        }
        return out;
    }
}
