package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static io.atrium.runtime.DeployIT.drop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.greeting.Greeter;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugins written to harm the server, in a real server's plugin folder: it refuses them or survives them. */
class HostilePluginIT {
    @TempDir
    Path work;
    Atrium atrium;
    Path folder;

    @AfterEach
    void stop() {
        if (atrium != null) {
            atrium.stop();
        }
    }

    private void start() throws Exception {
        start(TestPlugins.builder());
    }

    private void start(Atrium.Builder builder) throws Exception {
        folder = Files.createDirectories(work.resolve("plugins"));
        atrium = builder.dataDir(work.resolve("data")).pluginDir(folder).start();
    }

    /** A plugin whose activator sleeps, and a DS Greeter whose activate sleeps, both for {@code ms}. */
    private Path sleepyActivator(String bsn, long ms) throws Exception {
        String pkg = bsn.replace('-', '_');
        return TestPlugins.bundle(work, bsn, "1.0.0", Map.of(pkg + ".Activator", """
                package %s;
                public class Activator implements org.osgi.framework.BundleActivator {
                    public void start(org.osgi.framework.BundleContext c) throws Exception { Thread.sleep(%d); }
                    public void stop(org.osgi.framework.BundleContext c) { }
                }
                """.formatted(pkg, ms)), Map.of("Bundle-Activator", pkg + ".Activator"));
    }

    private Path sleepyComponent(String bsn, String name, long ms) throws Exception {
        String pkg = bsn.replace('-', '_');
        return TestPlugins.bundle(work, bsn, "1.0.0", Map.of(pkg + ".G", """
                package %s;
                import io.atrium.api.greeting.Greeter;
                import org.osgi.service.component.annotations.*;
                @Component(immediate = true, property = "atrium.plugin.name=%s")
                public class G implements Greeter {
                    @Activate void activate() throws Exception { Thread.sleep(%d); }
                    public String greet(String who) { return "Slowly, " + who; }
                }
                """.formatted(pkg, name, ms)), Map.of());
    }

    /** The plugin folder's row of a file, or null when it does not list it. */
    private io.atrium.api.PluginFolder.File row(String file) {
        return PluginFacts.file(atrium, file).orElse(null);
    }

    private String detail(String file) {
        return PluginFacts.detail(atrium, file);
    }

    private void awaitState(String file, String state) throws InterruptedException {
        await(() -> file + " is " + state + " in\n" + PluginFacts.folder(atrium), () -> state.equals(state(file)));
    }

    /** A jar of nothing but a manifest with these headers. */
    private Path manifestOnly(String bsn, Map<String, String> headers) throws Exception {
        return jar(bsn, headers, Map.of());
    }

    /** A jar of a manifest with these headers and these text entries. */
    private Path jar(String bsn, Map<String, String> headers, Map<String, String> entries) throws Exception {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        headers.forEach(a::putValue);
        Path jar = work.resolve(bsn + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            for (var e : entries.entrySet()) {
                j.putNextEntry(new java.util.jar.JarEntry(e.getKey()));
                j.write(e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return jar;
    }

    @Test
    void extensionBundlesAndFragmentsOfTheServerAreRefusedFragmentsOfPluginsAreNot() throws Exception {
        start();
        drop(TestPlugins.dsGreeter(work, "test.host", "1.0.0", "host", "Hi"), folder, "host.jar");
        awaitState("host.jar", "active");
        drop(manifestOnly("test.extension", Map.of("Fragment-Host", "system.bundle; extension:=framework")), folder, "extension.jar");
        drop(manifestOnly("test.bootext", Map.of("Fragment-Host", "org.apache.felix.framework")), folder, "felix-fragment.jar");
        drop(manifestOnly("test.corefragment", Map.of("Fragment-Host", "io.atrium.core")), folder, "core-fragment.jar");
        drop(manifestOnly("test.scrfragment", Map.of("Fragment-Host", "org.apache.felix.scr")), folder, "scr-fragment.jar");
        drop(manifestOnly("test.future", Map.of("Fragment-Host", "io.atrium.someday")), folder, "future-fragment.jar");
        drop(manifestOnly("test.hostfragment", Map.of("Fragment-Host", "test.host")), folder, "host-fragment.jar");
        for (String f : new String[] {"extension.jar", "felix-fragment.jar", "core-fragment.jar", "scr-fragment.jar", "future-fragment.jar"}) {
            awaitState(f, "refused");
        }
        assertEquals("is a framework extension (Fragment-Host: system.bundle; extension:=framework); a plugin cannot extend the framework",
                detail("extension.jar"));
        assertEquals("is a fragment of io.atrium.core, which is part of the server, not a plugin; fragments may attach to plugin bundles only",
                detail("core-fragment.jar"));
        assertTrue(detail("scr-fragment.jar").startsWith("is a fragment of org.apache.felix.scr, which is part of the server"), detail("scr-fragment.jar"));
        assertTrue(detail("felix-fragment.jar").startsWith("is a fragment of org.apache.felix.framework, which is part of the server"),
                detail("felix-fragment.jar"));
        awaitState("host-fragment.jar", "active");
        assertEquals("a fragment of test.host", detail("host-fragment.jar"));
        for (String bsn : new String[] {"test.extension", "test.bootext", "test.corefragment", "test.scrfragment", "test.future"}) {
            assertTrue(java.util.Arrays.stream(atrium.bundleContext().getBundles()).noneMatch(b -> bsn.equals(b.getSymbolicName())), bsn);
        }
        Files.delete(folder.resolve("extension.jar")); // once this stopped the whole server
        await("the refusal is forgotten", () -> row("extension.jar") == null);
        assertEquals("Hi, x", atrium.service(Greeter.class, "host").orElseThrow().greet("x"));
        CommandResult install = atrium.execute("plugin:install " + work.resolve("test.corefragment.jar"));
        assertEquals(1, install.status());
        assertTrue(install.output().contains("is a fragment of io.atrium.core, which is part of the server"), install.output());
    }

    /** The HTTP stack is installed after the folder's first batch: the resolver, not only the deployer, keeps plugins off it. */
    @Test
    void aPluginFragmentNeverAttachesToTheBaseSetEvenOneInstalledAfterIt() throws Exception {
        start();
        assertTrue(atrium.awaitStarted(java.time.Duration.ofSeconds(30)));
        org.osgi.framework.Bundle jetty = java.util.Arrays.stream(atrium.bundleContext().getBundles())
                .filter(b -> "org.apache.felix.http.jetty".equals(b.getSymbolicName())).findFirst().orElseThrow();
        // as the deployer would have installed it before the HTTP stack existed
        org.osgi.framework.Bundle fragment = atrium.bundleContext().installBundle("atrium:plugin/test.jettyfragment",
                Files.newInputStream(manifestOnly("test.jettyfragment", Map.of("Fragment-Host", "org.apache.felix.http.jetty"))));
        var done = new java.util.concurrent.CountDownLatch(1);
        var wiring = atrium.bundleContext().getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class);
        wiring.refreshBundles(java.util.List.of(jetty, fragment), e -> done.countDown());
        assertTrue(done.await(60, java.util.concurrent.TimeUnit.SECONDS));
        wiring.resolveBundles(java.util.List.of(jetty, fragment));
        assertEquals(org.osgi.framework.Bundle.INSTALLED, fragment.getState(), "the fragment found no host");
        assertTrue(jetty.adapt(org.osgi.framework.wiring.BundleWiring.class)
                .getProvidedWires(org.osgi.framework.namespace.HostNamespace.HOST_NAMESPACE).isEmpty(), "nothing attached to the HTTP stack");
    }

    @Test
    void aPluginCannotEndTheServerFromItsActivatorAContractMethodOrItsOwnThread() throws Exception {
        start();
        try (LogCapture log = new LogCapture()) {
            drop(TestPlugins.bundle(work, "test.exiter", "1.0.0", Map.of("test.exiter.Activator", """
                    package test.exiter;
                    public class Activator implements org.osgi.framework.BundleActivator {
                        public void start(org.osgi.framework.BundleContext c) {
                            System.exit(1);
                        }
                        public void stop(org.osgi.framework.BundleContext c) { }
                    }
                    """), Map.of("Bundle-Activator", "test.exiter.Activator")), folder, "exiter.jar");
            awaitState("exiter.jar", "failed");
            String refused = "plugin test.exiter may not end the server: System.exit(1) refused at test.exiter.Activator.start(Activator.java:4)";
            assertTrue(detail("exiter.jar").contains(refused), detail("exiter.jar"));
            assertTrue(log.contains("WARNING " + refused), String.join("\n", log.lines));

            drop(TestPlugins.bundle(work, "test.halter", "1.0.0", Map.of("test.halter.G", """
                    package test.halter;
                    import io.atrium.api.greeting.Greeter;
                    import org.osgi.service.component.annotations.*;
                    @Component(property = "atrium.plugin.name=halter")
                    public class G implements Greeter {
                        volatile String last = "";
                        @Activate void activate() {
                            Thread t = new Thread(() -> {
                                try {
                                    Runtime.getRuntime().exit(2);
                                } catch (SecurityException e) {
                                    last = e.getMessage();
                                }
                            }, "halter's own thread");
                            t.start();
                        }
                        public String greet(String who) {
                            if (who.equals("halt")) Runtime.getRuntime().halt(3);
                            if (who.equals("ref")) { java.util.function.IntConsumer exit = System::exit; exit.accept(4); }
                            if (who.equals("bound")) { java.util.function.IntConsumer exit = Runtime.getRuntime()::halt; exit.accept(5); }
                            return last;
                        }
                    }
                    """), Map.of()), folder, "halter.jar");
            await("the halter answers", () -> atrium.service(Greeter.class, "halter").isPresent());
            Greeter halter = atrium.service(Greeter.class, "halter").orElseThrow();
            await("its thread was refused", () -> halter.greet("x").contains("Runtime.exit(2) refused"));
            assertEquals("plugin test.halter may not end the server: Runtime.exit(2) refused at test.halter.G.lambda$activate$0(G.java:10)",
                    halter.greet("x"));
            SecurityException halt = assertThrows(SecurityException.class, () -> halter.greet("halt"));
            assertEquals("plugin test.halter may not end the server: Runtime.halt(3) refused at test.halter.G.greet(G.java:18)", halt.getMessage());
            SecurityException ref = assertThrows(SecurityException.class, () -> halter.greet("ref"));
            assertEquals("plugin test.halter may not end the server: System.exit(4) refused at a method reference in test.halter.G (G.java)",
                    ref.getMessage());
            SecurityException bound = assertThrows(SecurityException.class, () -> halter.greet("bound"));
            assertTrue(bound.getMessage().startsWith("plugin test.halter may not end the server: Runtime.halt(5) refused"), bound.getMessage());
            assertTrue(log.contains("WARNING plugin test.halter may not end the server: Runtime.halt(3)"), String.join("\n", log.lines));
        }
        assertEquals(0, atrium.execute("plugin:list").status(), "the server still runs");
    }

    @Test
    void aFileRenamedOverAPluginWithAnotherBundleReplacesIt() throws Exception {
        start();
        drop(TestPlugins.dsGreeter(work, "test.first", "1.0.0", "first", "One"), folder, "p.jar");
        await("the first answers", () -> atrium.service(Greeter.class, "first").isPresent());
        drop(TestPlugins.dsGreeter(work, "test.second", "1.0.0", "second", "Two"), folder, "p.jar");
        await("the second answers", () -> atrium.service(Greeter.class, "second").isPresent());
        await("the first is gone", () -> java.util.Arrays.stream(atrium.bundleContext().getBundles())
                .noneMatch(b -> "test.first".equals(b.getSymbolicName())));
        assertTrue(atrium.service(Greeter.class, "first").isEmpty());
        assertEquals("test.second 1.0.0", row("p.jar").target());
    }

    @Test
    void fileNamesCannotForgeLogLinesOrReachTheTerminal() throws Exception {
        start();
        String forged = "evil.jar\n21:00:00 INFO io.atrium.core.deploy: installed fake.jar\u001b[31m\u202e.jar";
        try (LogCapture log = new LogCapture()) {
            drop(TestPlugins.dsGreeter(work, "test.forger", "1.0.0", "forger", "Hi"), folder, forged);
            await("the plugin answers", () -> atrium.service(Greeter.class, "forger").isPresent());
            // an install that fails after the trust check: no line may say it was "installed anyway"
            drop(manifestOnly("test.badbsn", Map.of("Import-Package", "org.osgi.framework, org.osgi.framework")), folder, "badbsn.jar");
            awaitState("badbsn.jar", "refused");
            String deploys = atrium.execute("plugin:deploys").output();
            for (String line : log.lines) {
                assertTrue(line.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == 0x202e), "a log line with a control character: " + line);
            }
            assertTrue(log.contains("installed evil.jar\\n21:00:00 INFO io.atrium.core.deploy: installed fake.jar\\x1b[31m\\u202e.jar: test.forger"),
                    String.join("\n", log.lines));
            assertTrue(log.lines.stream().noneMatch(l -> l.contains("badbsn.jar") && l.contains("installed anyway")), String.join("\n", log.lines));
            assertTrue(log.contains("WARNING plugin file badbsn.jar was not installed"), String.join("\n", log.lines));
            assertTrue(deploys.chars().noneMatch(c -> c == 0x1b || c == 0x202e), deploys);
            assertEquals(3, deploys.lines().count(), "a header and one row per file:\n" + deploys);
        }
    }

    @Test
    void oversizedAndBinaryConfigurationFilesAreRefused() throws Exception {
        start();
        StringBuilder big = new StringBuilder("{\"k\": \"");
        big.append("x".repeat(2 << 20)).append("\"}");
        Files.writeString(work.resolve("big.json"), big);
        Files.move(work.resolve("big.json"), folder.resolve("test.big.json"));
        byte[] noise = new byte[4096];
        new java.util.Random(7).nextBytes(noise);
        Files.write(work.resolve("noise.cfg"), noise);
        Files.move(work.resolve("noise.cfg"), folder.resolve("test.noise.cfg"));
        Files.writeString(folder.resolve("test.ok.cfg"), "greeting = Hi\n");
        awaitState("test.big.json", "refused");
        awaitState("test.noise.cfg", "refused");
        awaitState("test.ok.cfg", "active");
        assertEquals("is " + Files.size(folder.resolve("test.big.json"))
                + " bytes, more than the 1048576 a configuration or manifest may be (framework property atrium.deploy.maxTextBytes)",
                detail("test.big.json"));
        assertTrue(detail("test.noise.cfg").startsWith("is not a text file: "), detail("test.noise.cfg"));
        assertEquals("test.ok", row("test.ok.cfg").target());
        assertEquals("", row("test.big.json").target(), "never made a configuration");
    }

    @Test
    void aSlowActivatorOrComponentHoldsUpNoOtherFileNorTheShell() throws Exception {
        start(TestPlugins.builder().frameworkProperty(Atrium.START_TIMEOUT, "500"));
        drop(sleepyActivator("test.sleepy", 6_000), folder, "sleepy.jar");
        drop(sleepyComponent("test.drowsy", "drowsy", 6_000), folder, "drowsy.jar");
        await("both are starting", () -> "starting".equals(state("sleepy.jar")) && "starting".equals(state("drowsy.jar")));
        drop(TestPlugins.dsGreeter(work, "test.quick", "1.0.0", "quick", "Quick"), folder, "quick.jar");
        await("the quick plugin answers", () -> atrium.service(Greeter.class, "quick").isPresent());
        // the slow ones are still starting: the quick one did not wait for them, nor does the shell
        assertEquals("starting", state("sleepy.jar"));
        assertEquals("starting", state("drowsy.jar"));
        await("the deadline is reported", () -> detail("sleepy.jar").startsWith("its activator has not returned after ")
                && detail("drowsy.jar").startsWith("its components are still activating after "));
        assertEquals(0, atrium.execute("plugin:list").status(), "the shell answers meanwhile");
        assertEquals(io.atrium.api.PluginState.STARTING, PluginFacts.state(atrium, "test.sleepy"), atrium.registry().plugins().toString());
        assertTrue(String.valueOf(PluginFacts.reason(atrium, "test.sleepy")).contains("its activator has not returned after"),
                atrium.registry().problems().toString());
        await("both become active once their starts return", () -> "active".equals(state("sleepy.jar"))
                && atrium.service(Greeter.class, "drowsy").isPresent());
        assertEquals("Slowly, x", atrium.service(Greeter.class, "drowsy").orElseThrow().greet("x"));
    }

    @Test
    void theServerIsReadyWithoutWaitingForASlowPluginOfItsFolder() throws Exception {
        folder = Files.createDirectories(work.resolve("plugins"));
        drop(sleepyActivator("test.sleepy", 8_000), folder, "sleepy.jar");
        drop(TestPlugins.dsGreeter(work, "test.quick", "1.0.0", "quick", "Quick"), folder, "quick.jar");
        start(TestPlugins.builder().frameworkProperty(Atrium.START_TIMEOUT, "300"));
        // start() waited for the quick plugin, and for the slow one no longer than its deadline
        assertEquals("Quick, x", atrium.service(Greeter.class, "quick").orElseThrow().greet("x"));
        assertEquals("starting", state("sleepy.jar"));
        await("the slow plugin becomes active", () -> "active".equals(state("sleepy.jar")));
    }

    private String state(String file) {
        return PluginFacts.fileState(atrium, file);
    }

    /** bin/atrium run as a user runs it, with these arguments: status and all it printed. */
    private LauncherIT.Run atriumProcess(String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(TestPlugins.dist().resolve("bin/atrium").toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "bin/atrium did not end");
        return new LauncherIT.Run(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8),
                new String(err, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aPluginThatKillsTheServerAtEveryStartIsQuarantinedAfterTheSecondDeath() throws Exception {
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        // a path the weaving does not see: reflection
        Files.copy(TestPlugins.bundle(work, "test.killer", "1.0.0", Map.of("test.killer.Activator", """
                package test.killer;
                public class Activator implements org.osgi.framework.BundleActivator {
                    public void start(org.osgi.framework.BundleContext c) throws Exception {
                        System.class.getMethod("exit", int.class).invoke(null, 3);
                    }
                    public void stop(org.osgi.framework.BundleContext c) { }
                }
                """), Map.of("Bundle-Activator", "test.killer.Activator")), plugins.resolve("killer.jar"));
        String data = Files.createDirectories(work.resolve("data")).toString();
        String[] args = {"--data", data, "--plugins", plugins.toString(), "--command", "plugin:deploys", "--command", "plugin:problems"};
        assertEquals(3, atriumProcess(args).status(), "the first start dies");
        LauncherIT.Run second = atriumProcess(args);
        assertEquals(3, second.status(), "the second start dies too: " + second.err());
        assertTrue(second.err().contains("the server died while starting plugin bundle test.killer (1 time); it is started alone this time"),
                second.err());
        LauncherIT.Run third = atriumProcess(args);
        assertEquals(0, third.status(), third.err());
        String reason = "quarantined: the server died 2 times while starting it; plugin:start test.killer or a new file releases it";
        assertTrue(third.out().contains("killer.jar") && third.out().contains(reason), third.out());
        assertEquals(2, third.out().split(java.util.regex.Pattern.quote(reason), -1).length - 1, "in plugin:deploys and plugin:problems: " + third.out());
        assertTrue(third.out().contains("io.atrium.sample.greeter.jar  bundle  io.atrium.sample.greeter"), third.out());
        assertTrue(third.err().contains("(2 times); it is quarantined"), third.err());

        // plugin:start releases it and starts it: this one kills the server again
        assertEquals(3, atriumProcess("--data", data, "--plugins", plugins.toString(), "--command", "plugin:start test.killer").status(),
                "plugin:start started the quarantined plugin");
        // a new file releases it: here one that no longer kills, under the same symbolic name
        Files.copy(TestPlugins.bundle(work, "test.killer", "1.1.0", Map.of("test.killer.Activator", """
                package test.killer;
                public class Activator implements org.osgi.framework.BundleActivator {
                    public void start(org.osgi.framework.BundleContext c) { }
                    public void stop(org.osgi.framework.BundleContext c) { }
                }
                """), Map.of("Bundle-Activator", "test.killer.Activator")), plugins.resolve("killer.jar"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LauncherIT.Run fourth = atriumProcess(args);
        assertEquals(0, fourth.status(), fourth.err());
        assertTrue(fourth.out().lines().anyMatch(l -> l.startsWith("killer.jar") && l.contains("test.killer 1.1.0") && l.contains("active")),
                fourth.out());

        LauncherIT.Run safe = atriumProcess("--data", Files.createDirectories(work.resolve("data-safe")).toString(), "--plugins",
                plugins.toString(), "--safe", "--command", "plugin:deploys", "--command", "plugin:call english greet World");
        assertEquals(1, safe.status(), "no plugin runs in safe mode: " + safe.out());
        assertTrue(safe.out().contains("killer.jar") && safe.out().contains("not started: the server runs in safe mode"), safe.out());
    }

    @Test
    void callsByNameNeverFailDuringUpdatesAndReloads() throws Exception {
        folder = Files.createDirectories(work.resolve("plugins"));
        boolean python = new ProcessBuilder("python3", "--version").start().waitFor() == 0;
        TestPlugins.distributionPlugins(folder);
        drop(TestPlugins.dsGreeter(work, "test.busy", "1.0.0", "busy", "v0"), folder, "busy.jar");
        // the distribution's helpers (sdk/), which its Python plugin imports
        start(TestPlugins.builder().frameworkProperty("atrium.home", TestPlugins.dist().toAbsolutePath().toString()));
        assertTrue(atrium.awaitStarted(java.time.Duration.ofSeconds(30)));
        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        java.net.URI base = atrium.httpEndpoint().orElseThrow();
        String token = atrium.execute("web:token").output().strip();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.List<Thread> callers = new java.util.ArrayList<>();
        java.util.List<String> targets = new java.util.ArrayList<>(java.util.List.of("busy"));
        if (python) {
            targets.add("python-greeter");
        }
        for (String plugin : targets) {
            callers.add(new Thread(() -> { // over HTTP
                while (running.get()) {
                    try {
                        var reply = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/api/plugins/" + plugin + "/greet"))
                                .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.ofString("[\"x\"]"))
                                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                        if (reply.statusCode() != 200) {
                            failures.add("HTTP " + plugin + ": " + reply.statusCode() + " " + reply.body());
                        }
                        calls.incrementAndGet();
                    } catch (Exception e) {
                        failures.add("HTTP " + plugin + ": " + e);
                    }
                }
            }));
            callers.add(new Thread(() -> { // the shell
                while (running.get()) {
                    CommandResult r = atrium.execute("plugin:call " + plugin + " greet x");
                    if (r.status() != 0) {
                        failures.add("shell " + plugin + ": " + r.output());
                    }
                    calls.incrementAndGet();
                }
            }));
        }
        callers.add(new Thread(() -> { // Java, by name
            while (running.get()) {
                try {
                    if (atrium.service(Greeter.class, "busy").map(g -> g.greet("x")).isEmpty()) {
                        failures.add("Atrium.service: no plugin 'busy'");
                    }
                    calls.incrementAndGet();
                } catch (RuntimeException e) {
                    failures.add("Atrium.service: " + e);
                }
            }
        }));
        callers.forEach(Thread::start);
        try {
            for (int v = 1; v <= 12; v++) {
                String greeting = "v" + v;
                drop(TestPlugins.dsGreeter(work, "test.busy", "1." + v + ".0", "busy", greeting), folder, "busy.jar");
                await("version " + v + " answers", () -> (greeting + ", x").equals(atrium.service(Greeter.class, "busy").orElseThrow().greet("x")));
                if (v % 3 == 0) {
                    org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> PluginFacts.reload(atrium, "busy"),
                            () -> atrium.registry().plugins() + "\n" + PluginFacts.folder(atrium));
                    if (python) {
                        PluginFacts.reload(atrium, "python-greeter");
                    }
                }
            }
        } finally {
            running.set(false);
            for (Thread t : callers) {
                t.join(20_000);
            }
        }
        assertEquals(java.util.List.of(), failures.stream().distinct().limit(10).toList(), "no call by name may fail");
        assertTrue(calls.get() > 100, "calls made: " + calls);
    }

    @Test
    void whatUsersSeeIsTheTruth() throws Exception {
        start();
        drop(TestPlugins.bundle(work, "test.nodb", "1.0.0", Map.of("test.nodb.G", """
                package test.nodb;
                import io.atrium.api.greeting.Greeter;
                import org.osgi.service.component.annotations.*;
                @Component(property = "atrium.plugin.name=nodb")
                public class G implements Greeter {
                    @Activate void activate() { throw new IllegalStateException("no database"); }
                    public String greet(String who) { return who; }
                }
                """), Map.of()), folder, "nodb.jar");
        drop(manifestOnly("test.noxml", Map.of("Service-Component", "OSGI-INF/missing.xml")), folder, "noxml.jar");
        drop(jar("test.badxml", Map.of("Service-Component", "OSGI-INF/bad.xml"), Map.of("OSGI-INF/bad.xml", "<scr:component <<<")), folder,
                "badxml.jar");
        Files.writeString(folder.resolve("broken.jar"), "not a jar at all");
        await("nodb is registered", () -> atrium.service(Greeter.class, "nodb").isPresent());
        io.atrium.api.PluginUnavailableException e = assertThrows(io.atrium.api.PluginUnavailableException.class,
                () -> atrium.service(Greeter.class, "nodb").orElseThrow().greet("x"));
        assertTrue(e.getMessage().contains("failed to activate: ") && e.getMessage().contains("no database"), e.getMessage());
        assertEquals(io.atrium.api.PluginState.FAILED, atrium.registry().plugin("nodb").orElseThrow().state());
        String list = atrium.execute("plugin:list").output();
        assertTrue(list.lines().anyMatch(l -> l.startsWith("nodb ") && l.contains("failed")), list);
        String problems = atrium.execute("plugin:problems").output();
        assertTrue(problems.contains("no database"), problems);
        awaitState("broken.jar", "refused");
        assertTrue(problems.contains("broken.jar") || atrium.execute("plugin:problems").output().contains("broken.jar"),
                "a refused file is a problem: " + problems);
        awaitState("noxml.jar", "failed");
        assertEquals("its Service-Component header names OSGI-INF/missing.xml, which the bundle does not hold: no component of it runs",
                detail("noxml.jar"));
        awaitState("badxml.jar", "failed");
        assertEquals("its component descriptions (OSGI-INF/bad.xml) hold no component SCR could read: the XML is malformed or empty",
                detail("badxml.jar"));

        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String deploys = http.send(java.net.http.HttpRequest.newBuilder(atrium.httpEndpoint().orElseThrow().resolve("/api/deploys")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        var files = com.google.gson.JsonParser.parseString(deploys).getAsJsonArray();
        var broken = files.asList().stream().map(com.google.gson.JsonElement::getAsJsonObject)
                .filter(o -> o.get("file").getAsString().equals("broken.jar")).findFirst().orElseThrow();
        assertEquals("refused", broken.get("state").getAsString());
        assertTrue(broken.get("detail").getAsString().startsWith("is not a valid jar"), deploys);
        String plugins = http.send(java.net.http.HttpRequest.newBuilder(atrium.httpEndpoint().orElseThrow().resolve("/api/plugins/nodb")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        var nodb = com.google.gson.JsonParser.parseString(plugins).getAsJsonObject();
        assertEquals("failed", nodb.get("state").getAsString(), plugins);
        assertTrue(nodb.get("problem").getAsString().contains("no database"), plugins);
    }

    /** A careless deadline (0 ms) neither spawns a thread per plugin nor holds the drop: starts go on, the pool stays small. */
    @Test
    void aCarelessDeadlineSpawnsNoThreadPerPlugin() throws Exception {
        start(TestPlugins.builder().frameworkProperty(Atrium.START_TIMEOUT, "0"));
        for (int i = 0; i < 40; i++) {
            drop(sleepyActivator("test.nap" + i, 300), folder, "nap" + i + ".jar");
        }
        long peak = 0;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (java.util.stream.IntStream.range(0, 40).anyMatch(i -> !"active".equals(state("nap" + i + ".jar"))) && System.nanoTime() < deadline) {
            peak = Math.max(peak, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("atrium-plugin-starter")).count());
            Thread.sleep(20);
        }
        for (int i = 0; i < 40; i++) {
            assertEquals("active", state("nap" + i + ".jar"), "nap" + i);
        }
        assertTrue(peak <= 1 + 16, "starter threads at the peak: " + peak);
    }
}
