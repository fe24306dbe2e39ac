package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static io.atrium.runtime.PluginFacts.file;
import static io.atrium.runtime.PluginFacts.files;
import static io.atrium.runtime.PluginFacts.folder;
import static io.atrium.runtime.PluginFacts.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.greeting.Greeter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Signed plugin bundles (issue 7) with real keys made by keytool, real jarsigner signatures and real
 * tampering, against the trust policy of a real server.
 */
class TrustIT extends ServerWithPluginFolder {
    TestKeys keys;

    @org.junit.jupiter.api.BeforeEach
    void keys() {
        keys = new TestKeys(work);
    }

    Path key(String alias, String cn, String start, int days) throws Exception {
        return keys.key(alias, cn, start, days);
    }

    void trust(Path keystore, String alias, Path truststore) throws Exception {
        keys.trust(keystore, alias, truststore);
    }

    Path signed(Path jar, Path keystore, String alias) throws Exception {
        return keys.signed(jar, keystore, alias);
    }

    /** A copy of the jar with one entry's bytes changed after signing, or one unsigned entry added. */
    Path rewritten(Path jar, String name, boolean addEntry) throws IOException {
        Path out = work.resolve(name);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar)); ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] data = in.readAllBytes();
                if (!addEntry && e.getName().startsWith("OSGI-INF/") && e.getName().endsWith(".xml")) {
                    data = (new String(data, StandardCharsets.UTF_8) + "<!-- changed -->").getBytes(StandardCharsets.UTF_8);
                }
                zip.putNextEntry(new ZipEntry(e.getName()));
                zip.write(data);
                zip.closeEntry();
            }
            if (addEntry) {
                zip.putNextEntry(new ZipEntry("extra/added.txt"));
                zip.write("slipped in after signing".getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return out;
    }

    /** The folder's files, for a failure's message. */
    String deploys() {
        return folder(atrium);
    }

    /** The file's reason for not being active, "" when the folder does not list it. */
    String detail(String name) {
        return file(atrium, name).map(io.atrium.api.PluginFolder.File::detail).orElse("");
    }

    /** Whether no file of the folder waits (to be written, or for its transport). */
    boolean noneWaits() {
        return files(atrium).stream().noneMatch(f -> f.state().equals("waiting"));
    }

    @Test
    void onlyBundlesSignedByATrustedKeyInstallWhenTheTrustPolicyIsEnforced() throws Exception {
        Path author = key("author", "Trusted Plugin Author", null, 30);
        Path stranger = key("stranger", "Someone Else", null, 30);
        Path lapsed = key("lapsed", "Lapsed Author", "-10d", 1);
        Path truststore = work.resolve("trust.p12");
        trust(author, "author", truststore);
        trust(lapsed, "lapsed", truststore);

        // the default policy (warn): an unsigned bundle installs, and the log says it is not trusted
        place(TestPlugins.dsGreeter(work, "t.warned", "1.0.0", "warned", "Warned"), "warned.jar");
        assertEquals("Warned, x", greeter("warned").greet("x"));
        await("the warning", () -> log.stream().anyMatch(l -> l.equals("WARNING warned.jar is not signed; installed anyway (trust policy: warn)")));

        String before = atrium.execute("plugin:trust").output();
        assertTrue(before.matches("(?s)FIELD +VALUE\nplugin kinds allowed +all\nbundle signatures +warn\ntrust store +none \\(no signer is trusted\\)\nrevocation lists +none\n"
                + "links outside the folder +refused\n"), before);
        drop("io.atrium.trust.cfg", "bundleSignatures = enforce\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n");
        await("enforce is in force", () -> atrium.execute("plugin:trust").output().matches("(?s).*bundle signatures +enforce.*"));
        String trust = atrium.execute("plugin:trust").output();
        assertTrue(trust.matches("(?s).*trust store +" + java.util.regex.Pattern.quote(truststore.toString()) + "\n.*")
                && trust.matches("(?s).*trusted signer +CN=Trusted Plugin Author \\(until .*")
                && trust.matches("(?s).*trusted signer +CN=Lapsed Author \\(until .*"), trust);
        place(TestPlugins.dsGreeter(work, "t.probe", "1.0.0", "probe", "Probe"), "probe.jar");
        await("an unsigned bundle is refused", () -> refused(atrium, "probe.jar", "is not signed (trust policy: enforce)"));

        Path good = signed(TestPlugins.dsGreeter(work, "t.good", "1.0.0", "good", "Good"), author, "author");
        place(good, "good.jar");
        place(signed(TestPlugins.dsGreeter(work, "t.strange", "1.0.0", "strange", "Strange"), stranger, "stranger"), "strange.jar");
        place(signed(TestPlugins.dsGreeter(work, "t.old", "1.0.0", "old", "Old"), lapsed, "lapsed"), "old.jar");
        Path goodToo = signed(TestPlugins.dsGreeter(work, "t.tampered", "1.0.0", "tampered", "Tampered"), author, "author");
        place(rewritten(goodToo, "tampered.jar", false), "tampered.jar");
        Path goodThree = signed(TestPlugins.dsGreeter(work, "t.partial", "1.0.0", "partial", "Partial"), author, "author");
        place(rewritten(goodThree, "partial.jar", true), "partial.jar");

        assertEquals("Good, x", greeter("good").greet("x"), "a bundle signed by a trusted key installs");
        await(() -> "the four are judged: " + deploys(), () -> List.of("strange.jar", "old.jar", "tampered.jar", "partial.jar").stream()
                .allMatch(f -> file(atrium, f).isPresent()) && noneWaits());
        String d = deploys();
        assertTrue(refused(atrium, "strange.jar", "is signed by CN=Someone Else, which the trust store does not trust (trust policy: enforce)"), d);
        assertTrue(refused(atrium, "old.jar", "") && detail("old.jar")
                .matches(".*is signed by CN=Lapsed Author, whose certificate expired on \\d{4}-\\d\\d-\\d\\d \\(trust policy: enforce\\)"), d);
        assertTrue(refused(atrium, "tampered.jar", "its signature does not match its content ("), d);
        assertTrue(refused(atrium, "partial.jar", "is only partly signed: 1 of ")
                && detail("partial.jar").contains("entries are not, e.g. extra/added.txt (trust policy: enforce)"), d);
        for (String refused : List.of("strange", "old", "tampered", "partial", "probe")) {
            assertTrue(atrium.service(Greeter.class, refused).isEmpty(), refused + " must not be installed");
        }
        assertTrue(log.contains("WARNING plugin file strange.jar is signed by CN=Someone Else, which the trust store does not trust"
                + " (trust policy: enforce)"), "each refusal is one line in the log");
        await("what was installed before unsigned is stopped", () -> atrium.service(Greeter.class, "warned").isEmpty());
        assertTrue(log.stream().noneMatch(l -> l.contains("trustpass")), "the trust store's password is never logged");
    }

    @Test
    void everyEntryMustBeSignedByATrustedKeyWhateverOtherKeysSignIt() throws Exception {
        Path author = key("author", "Trusted Plugin Author", null, 30);
        Path stranger = key("stranger", "Someone Else", null, 30);
        Path truststore = work.resolve("trust.p12");
        trust(author, "author", truststore);
        drop("io.atrium.trust.cfg", "bundleSignatures = enforce\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n");
        await("enforce is in force", () -> atrium.execute("plugin:trust").output().matches("(?s).*bundle signatures +enforce.*"));

        // signed by the author and then by a stranger: the stranger's signature is listed first, and does not count against it
        place(signed(signed(TestPlugins.dsGreeter(work, "t.both", "1.0.0", "both", "Both"), author, "author"), stranger, "stranger"), "both.jar");
        // the author's jar with one entry more, which only the stranger's signature (over the whole) covers
        Path authors = signed(TestPlugins.dsGreeter(work, "t.more", "1.0.0", "more", "More"), author, "author");
        place(signed(rewritten(authors, "more.jar", true), stranger, "stranger"), "more.jar");

        // the author's jar with a class only its central directory lists (what Felix loads), hidden from an entry-by-entry reader
        Path hidden = work.resolve("hidden.jar");
        Files.write(hidden, hiddenEntry(Files.readAllBytes(signed(TestPlugins.dsGreeter(work, "t.hidden", "1.0.0", "hidden", "Hidden"), author,
                "author")), "t/hidden/Evil.class"));
        place(hidden, "hidden.jar");

        assertEquals("Both, x", greeter("both").greet("x"), "a bundle a trusted key signed whole installs, whoever else signed it");
        await("the entry only the stranger signed is refused", () -> refused(atrium, "more.jar", "is only partly signed by a trusted key: 1 of "));
        assertTrue(detail("more.jar").contains("entries are not, e.g. extra/added.txt (it is signed by CN=Someone Else, which the trust store "
                + "does not trust) (trust policy: enforce)"), deploys());
        assertTrue(atrium.service(Greeter.class, "more").isEmpty(), "more must not be installed");
        await("the hidden entry is refused", () -> file(atrium, "hidden.jar").isPresent());
        assertTrue(refused(atrium, "hidden.jar", "has bytes no entry accounts for before its entry t/hidden/Evil.class; what a reader going "
                + "entry by entry sees is not what the framework loads"), deploys());
        assertTrue(atrium.service(Greeter.class, "hidden").isEmpty(), "hidden must not be installed");
    }

    /** The zip (without a comment) with a stored entry that only its central directory lists: bytes that are no local header stand before it. */
    static byte[] hiddenEntry(byte[] jar, String name) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(jar).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int end = jar.length - 22;
        int count = Short.toUnsignedInt(in.getShort(end + 10)), centralSize = in.getInt(end + 12), centralStart = in.getInt(end + 16);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] data = {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE};
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(jar.length + 4 + 30 + n.length + data.length + 46 + n.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.put(jar, 0, centralStart).put("HIDE".getBytes(StandardCharsets.US_ASCII));
        int offset = out.position();
        out.putInt(0x04034b50).putShort((short) 10).putInt(0).putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue())
                .putInt(data.length).putInt(data.length).putShort((short) n.length).putShort((short) 0).put(n).put(data);
        int newCentral = out.position();
        out.put(jar, centralStart, centralSize);
        out.putInt(0x02014b50).putShort((short) 20).putShort((short) 10).putInt(0).putShort((short) 0).putShort((short) 0x21)
                .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length).putShort((short) n.length).putInt(0).putShort((short) 0)
                .putShort((short) 0).putInt(0).putInt(offset).put(n);
        out.putInt(0x06054b50).putInt(0).putShort((short) (count + 1)).putShort((short) (count + 1)).putInt(centralSize + 46 + n.length)
                .putInt(newCentral).putShort((short) 0);
        return out.array();
    }

    @Test
    void thePolicyCanRequireProcessAndWasmPluginsToPinTheirFiles() throws Exception {
        drop("io.atrium.trust.cfg", "requirePins = process,wasm\n");
        // the transports receive the configuration beside the core: a probe, changed until refused, tells when it has arrived
        for (int i = 0; !refused(atrium, "probe.plugin.json", "requires process plugins to"); i++) {
            assertTrue(i < 300, "the policy never reached the process transport: " + deploys());
            helperPlugin("probe", "return 'probe'", "\"description\": \"probe " + i + "\"");
            Thread.sleep(50);
        }
        helperPlugin("loose", "return 'loose'", "");
        Files.copy(WasmPluginIT.GREETER, folder.resolve("loosewasm.wasm"));
        drop("loosewasm.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"loosewasm.wasm\"}");
        await(() -> "both are refused: " + deploys(), () -> refused(atrium, "loose.plugin.json", "is refused: it pins none of its files "
                + "(field sha256), and the trust policy (io.atrium.trust requirePins) requires process plugins to")
                && refused(atrium, "loosewasm.wasm.json", "is refused: it does not pin its module (field sha256), and the trust "
                + "policy (io.atrium.trust requirePins) requires wasm plugins to"));
        // pinned, the same module is welcome
        String pin = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(WasmPluginIT.GREETER)));
        drop("loosewasm.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"loosewasm.wasm\", "
                + "\"sha256\": \"" + pin + "\"}");
        assertEquals("Hello, pinned!", greeter("loosewasm").greet("pinned"));
    }

    @Test
    void requirePinsAsksThatWhatTheCommandRunsIsPinnedNotJustAnyFile() throws Exception {
        drop("io.atrium.trust.cfg", "requirePins = process\n");
        for (int i = 0; !refused(atrium, "probe.plugin.json", "requires process plugins to"); i++) { // changed until refused: the policy reaches the transport meanwhile
            assertTrue(i < 300, "the policy never reached the process transport: " + deploys());
            helperPlugin("probe", "return 'probe'", "\"description\": \"probe " + i + "\"");
            Thread.sleep(50);
        }
        Path script = folder.resolve("runner.py");
        Files.writeString(script, "import os, sys\nsys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])\nfrom atrium_plugin import serve\n"
                + "serve(name='runner', version='1.0.0', contract='io.atrium.api.greeting.Greeter', methods={'greet': lambda who: 'pinned ' + who})\n");
        Path readme = Files.writeString(folder.resolve("README"), "a plugin\n");
        Files.createDirectories(folder.resolve("pkg"));
        Path main = Files.copy(script, folder.resolve("pkg/__main__.py"));
        String manifest = "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": %s, \"sha256\": {%s}%s}";
        String policy = ", and the trust policy (io.atrium.trust requirePins) requires process plugins to pin what they run";
        drop("readme.plugin.json", manifest.formatted("[\"python3\", \"runner.py\"]", "\"README\": \"" + sha256(readme) + "\"", ""));
        drop("module.plugin.json", manifest.formatted("[\"python3\", \"-m\", \"pkg\"]", "\"pkg/__main__.py\": \"" + sha256(main) + "\"", ""));
        drop("inline.plugin.json", manifest.formatted("[\"sh\", \"-c\", \"exec python3 runner.py\"]", "\"runner.py\": \"" + sha256(script) + "\"", ""));
        drop("pypath.plugin.json", manifest.formatted("[\"python3\", \"runner.py\"]", "\"runner.py\": \"" + sha256(script) + "\"",
                ", \"env\": {\"PYTHONPATH\": \".\"}"));
        await(() -> "each is refused in one line naming what runs unpinned: " + deploys(), () ->
                refused(atrium, "readme.plugin.json", "is refused: it runs runner.py, which it does not pin" + policy)
                && refused(atrium, "module.plugin.json", "is refused: it runs a module looked up by name (python3 -m pkg), not a file it pins" + policy)
                && refused(atrium, "inline.plugin.json", "is refused: it runs code given on its command line (sh -c), not a file it pins" + policy)
                && refused(atrium, "pypath.plugin.json", "is refused: it sets PYTHONPATH (field env), through which an interpreter or the dynamic "
                + "linker loads code no pin covers" + policy));
        for (String refused : List.of("readme", "module", "inline", "pypath")) {
            assertTrue(atrium.service(Greeter.class, refused).isEmpty(), refused + " does not run");
        }
        // the script pinned, it runs, even under -E and -I, which ignore the variables that keep bytecode away: the host passes -B
        drop("runner.plugin.json", manifest.formatted("[\"python3\", \"-E\", \"runner.py\"]", "\"runner.py\": \"" + sha256(script) + "\"", ""));
        assertEquals("pinned x", greeter("runner").greet("x"));
        long pid = Long.parseLong(atrium.execute("plugin:info runner").output().lines().filter(l -> l.startsWith("pid "))
                .findFirst().orElseThrow().substring(4).strip());
        List<String> args = List.of(ProcessHandle.of(pid).orElseThrow().info().arguments().orElse(new String[0]));
        assertEquals("-B", args.get(args.indexOf("-E") - 1), "the host's -B before the manifest's options: " + args);
    }

    @Test
    void theHelperHandedToPluginsIsTheServersOwnNotTheDistributionsFile() throws Exception {
        // a distribution whose sdk/python was changed: a plugin finding the helper the documented way runs the server's own
        Path home = Files.createDirectories(work.resolve("home/sdk/python"));
        Files.writeString(home.resolve("atrium_plugin.py"), Files.readString(ProcessPluginIT.SDK.resolve("atrium_plugin.py"))
                + "\n_serve = serve\ndef serve(**kw):\n    kw['methods'] = {'greet': lambda who: 'PWNED ' + who}\n    _serve(**kw)\n");
        restartWith(work.resolve("home"));
        Path script = Files.copy(ProcessPluginIT.EXAMPLES.resolve("python-greeter/greeter.py"), folder.resolve("greeter.py"));
        drop("python-greeter.plugin.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", "
                + "\"command\": [\"python3\", \"greeter.py\"], \"sha256\": \"" + sha256(script) + "\"}");
        assertEquals("Hello, x!", greeter("python-greeter").greet("x"));
    }

    /** The server started again on the same folders, as from a distribution in {@code home}. */
    void restartWith(Path home) throws Exception {
        atrium.stop();
        atrium = null;
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).frameworkProperty("atrium.home", home.toString()).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30));
    }

    static String sha256(Path file) throws Exception {
        return ProcessPluginIT.sha256(file);
    }

    /** The server stopped and started again on the same data and plugin folders. */
    void restart() throws Exception {
        atrium.stop();
        atrium = null;
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30));
    }

    /** Enforce, trusting the key {@code author}; waits until the core applies it. */
    Path enforce() throws Exception {
        Path author = Files.exists(work.resolve("author.p12")) ? work.resolve("author.p12") : key("author", "Trusted Plugin Author", null, 30);
        Path truststore = work.resolve("trust.p12");
        trust(author, "author", truststore);
        drop("io.atrium.trust.cfg", "bundleSignatures = enforce\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n");
        await("enforce is in force", () -> atrium.execute("plugin:trust").output().matches("(?s).*bundle signatures +enforce.*"));
        return author;
    }

    @Test
    void pluginUpdateJudgesTheSourceAgainAndKeepsTheTrustedBundleRunning() throws Exception {
        Path author = enforce();
        Path source = work.resolve("source.jar");
        Files.copy(signed(TestPlugins.dsGreeter(work, "t.upd", "1.0.0", "upd", "Signed"), author, "author"), source);
        String installed = atrium.execute("plugin:install " + source).output();
        assertEquals("t.upd 1.0.0", file(atrium, source.toString()).map(io.atrium.api.PluginFolder.File::target).orElse(null),
                installed + deploys());
        assertEquals("Signed, x", greeter("upd").greet("x"));

        // the source overwritten by an unsigned jar of the same bundle: plugin:update refuses it, in one line
        Files.copy(TestPlugins.dsGreeter(work, "t.upd", "1.0.1", "upd", "Unsigned"), source, StandardCopyOption.REPLACE_EXISTING);
        var update = atrium.execute("plugin:update t.upd");
        assertEquals(1, update.status(), update.output());
        assertEquals("Error: " + source + " is not signed (trust policy: enforce)\n", update.output());
        assertEquals("Signed, y", greeter("upd").greet("y"), "the trusted bundle runs on, never the unsigned code");
    }

    /** A bundle whose activator writes {@code marker}: whether its code ran is a file. */
    Path activatorBundle(String bsn, Path marker) throws Exception {
        return TestPlugins.bundle(work, bsn, "1.0.0", java.util.Map.of(bsn + ".A", """
                package %s;
                public class A implements org.osgi.framework.BundleActivator {
                    public void start(org.osgi.framework.BundleContext c) throws Exception {
                        java.nio.file.Files.writeString(java.nio.file.Path.of("%s"), "ran");
                    }
                    public void stop(org.osgi.framework.BundleContext c) { }
                }
                """.formatted(bsn, marker)), java.util.Map.of("Bundle-Activator", bsn + ".A"));
    }

    /**
     * A bundle's manifest can declare files of the plugin folder for a transport (io.atrium.artifact), so
     * that they wait for it: one the trust policy refuses must not steer the folder that way.
     */
    @Test
    void aRefusedBundleCannotMakeTheFoldersFilesWait() throws Exception {
        enforce();
        Path claimer = TestPlugins.bundle(work, "t.claimer", "1.0.0", java.util.Map.of("t.claimer.Nothing", "package t.claimer; class Nothing { }"),
                java.util.Map.of("Provide-Capability", "io.atrium.artifact;suffix=\".evil.json\";kind=evil"));
        // through the framework (a jar of the folder is refused before it is installed): installed, never resolved
        String id = atrium.execute("felix:install file:" + claimer).output().replaceAll("(?s).*Bundle ID: (\\d+).*", "$1").strip();
        atrium.execute("felix:start " + id);
        assertEquals(org.osgi.framework.Bundle.INSTALLED, atrium.bundleContext().getBundle(Long.parseLong(id)).getState());
        drop("some.evil.json", "{\"greeting\": \"hi\"}");
        await("some.evil.json is read as a configuration", () -> file(atrium, "some.evil.json").map(f -> f.kind().equals("config")).orElse(false));
        assertTrue(files(atrium).stream().noneMatch(f -> f.detail().contains("waits for its transport (evil)")), deploys());
    }

    @Test
    void aBundleInstalledThroughTheFrameworkIsJudgedToo() throws Exception {
        Path author = enforce();
        Path unsignedRan = work.resolve("unsigned-ran");
        Path unsigned = activatorBundle("t.felixed", unsignedRan);
        String id = atrium.execute("felix:install file:" + unsigned).output().replaceAll("(?s).*Bundle ID: (\\d+).*", "$1").strip();
        var start = atrium.execute("felix:start " + id);
        org.osgi.framework.Bundle b = atrium.bundleContext().getBundle(Long.parseLong(id));
        assertEquals(org.osgi.framework.Bundle.INSTALLED, b.getState(), start.output());
        assertTrue(!Files.exists(unsignedRan), "its activator never ran");
        String line = "WARNING bundle t.felixed 1.0.0 [" + id + "] from file:" + unsigned + " is not resolved: ";
        assertEquals(1, log.stream().filter(l -> l.startsWith(line) && l.endsWith(" (the framework's copy of it) is not signed (trust policy: enforce); "
                + "it stays installed and none of its code runs")).count(), String.join("\n", log));
        assertTrue(String.valueOf(PluginFacts.reason(atrium, "t.felixed")).contains("is not signed (trust policy: enforce)"), atrium.registry().problems().toString());

        // installed in place (reference:), the jar is judged where it lies
        atrium.execute("felix:uninstall " + id);
        String ref = atrium.execute("felix:install reference:file:" + unsigned).output().replaceAll("(?s).*Bundle ID: (\\d+).*", "$1").strip();
        atrium.execute("felix:start " + ref);
        assertEquals(org.osgi.framework.Bundle.INSTALLED, atrium.bundleContext().getBundle(Long.parseLong(ref)).getState());
        assertTrue(!Files.exists(unsignedRan), "its activator never ran");
        assertTrue(log.stream().anyMatch(l -> l.contains("[" + ref + "] from reference:file:" + unsigned + " is not resolved: " + unsigned
                + " (installed by reference, loaded where it lies) is not signed (trust policy: enforce)")), String.join("\n", log));

        // signed by the trusted key, the same way in, it runs
        Path signedRan = work.resolve("signed-ran");
        Path trusted = signed(activatorBundle("t.felixsigned", signedRan), author, "author");
        String good = atrium.execute("felix:install file:" + trusted).output().replaceAll("(?s).*Bundle ID: (\\d+).*", "$1").strip();
        var started = atrium.execute("felix:start " + good);
        assertEquals(org.osgi.framework.Bundle.ACTIVE, atrium.bundleContext().getBundle(Long.parseLong(good)).getState(), started.output());
        assertTrue(Files.exists(signedRan));
    }

    @Test
    void aCachedCopyReplacedWhileTheServerWasStoppedIsJudgedAtStart() throws Exception {
        Path author = enforce();
        Path trusted = signed(TestPlugins.dsGreeter(work, "t.cached", "1.0.0", "cached", "Signed"), author, "author");
        place(trusted, "cached.jar");
        place(signed(TestPlugins.dsGreeter(work, "t.kept", "1.0.0", "kept", "Kept"), author, "author"), "kept.jar");
        assertEquals("Signed, x", greeter("cached").greet("x"));
        assertEquals("Kept, x", greeter("kept").greet("x"));

        atrium.stop();
        atrium = null;
        // the framework's copy of the trusted jar, replaced by an unsigned build of the same bundle
        byte[] original = Files.readAllBytes(trusted);
        Path copy;
        try (var files = Files.walk(work.resolve("data"))) {
            copy = files.filter(f -> f.getFileName().toString().equals("bundle.jar")).filter(f -> {
                try {
                    return java.util.Arrays.equals(Files.readAllBytes(f), original);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).findFirst().orElseThrow();
        }
        Files.copy(TestPlugins.dsGreeter(work, "t.cached", "1.0.0", "cached", "PWNED"), copy, StandardCopyOption.REPLACE_EXISTING);
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30));

        assertTrue(refused(atrium, "cached.jar", copy + " (the framework's copy of it) is not signed (trust policy: enforce)"), deploys());
        assertTrue(atrium.service(Greeter.class, "cached").isEmpty(), "the replaced copy does not run");
        assertEquals(1, log.stream().filter(l -> l.startsWith("WARNING bundle t.cached 1.0.0 [") && l.contains(" is not resolved: " + copy)).count(),
                String.join("\n", log));
        assertEquals("Kept, y", greeter("kept").greet("y"), "a trusted copy runs after the restart");
    }

    @Test
    void aStricterPolicyStopsTheBundlesItNowRefusesAndALooserOneLetsThemBack() throws Exception {
        place(TestPlugins.dsGreeter(work, "t.loose", "1.0.0", "loose", "Loose"), "loose.jar");
        assertEquals("Loose, x", greeter("loose").greet("x"));
        Path author = key("author", "Trusted Plugin Author", null, 30);
        place(signed(TestPlugins.dsGreeter(work, "t.vouched", "1.0.0", "vouched", "Vouched"), author, "author"), "vouched.jar");
        assertEquals("Vouched, x", greeter("vouched").greet("x"));

        enforce(); // warn -> enforce: the unsigned plugin that runs stops
        await("the unsigned plugin stops", () -> atrium.service(Greeter.class, "loose").isEmpty());
        await(() -> "it is listed as refused: " + deploys(), () -> refused(atrium, "loose.jar", "is not signed (trust policy: enforce)"));
        assertEquals(1, log.stream().filter(l -> l.startsWith("WARNING plugin bundle t.loose 1.0.0 [") && l.contains("stopped by the changed trust policy: ")
                && l.endsWith("is not signed (trust policy: enforce)")).count(), String.join("\n", log));
        assertEquals("Vouched, y", greeter("vouched").greet("y"), "what the trust store vouches for runs on");

        drop("io.atrium.trust.cfg", "bundleSignatures = warn\n");
        assertEquals("Loose, again", greeter("loose").greet("again"), "warn lets it back");
    }

    @Test
    void thePolicyOnDiskIsInForceForEveryTransportAfterARestart() throws Exception {
        drop("io.atrium.trust.cfg", "requirePins = process\ntransports = bundle, process\n");
        String unpinned = "is refused: it pins none of its files";
        String noWasm = "is refused: it is a wasm plugin, and the trust policy allows only bundle, process plugins";
        for (int i = 0; !refused(atrium, "loose.plugin.json", unpinned); i++) { // changed until refused: the configuration reaches the transport meanwhile
            assertTrue(i < 300, "the policy never reached the process transport: " + deploys());
            helperPlugin("loose", "return 'loose'", "\"description\": \"try " + i + "\"");
            Thread.sleep(50);
        }
        Files.copy(WasmPluginIT.GREETER, folder.resolve("loosewasm.wasm"));
        drop("loosewasm.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"loosewasm.wasm\"}");
        await(() -> "the wasm plugin is refused: " + deploys(), () -> refused(atrium, "loosewasm.wasm.json", noWasm));

        restart();
        await(() -> "both are judged again after the restart: " + deploys(), () -> file(atrium, "loose.plugin.json").isPresent()
                && file(atrium, "loosewasm.wasm.json").isPresent() && noneWaits());
        String d = deploys();
        assertTrue(refused(atrium, "loose.plugin.json", unpinned) && refused(atrium, "loosewasm.wasm.json", noWasm), d);
        assertTrue(atrium.service(Greeter.class, "loose").isEmpty() && atrium.service(Greeter.class, "loosewasm").isEmpty(), d);
        // the list "bundle, process" allows bundles: one kind per comma, in the core as in the transports
        place(TestPlugins.dsGreeter(work, "t.inproc", "1.0.0", "inproc", "Inproc"), "inproc.jar");
        assertEquals("Inproc, x", greeter("inproc").greet("x"));
        assertTrue(log.stream().noneMatch(l -> l.contains("transports names")), String.join("\n", log));
    }

    @Test
    void aTrustPolicyFileThatCannotBeReadMeansTheStrictestPolicy() throws Exception {
        String strictest = "; the strictest trust policy is in force until it is mended: bundleSignatures = enforce, requirePins = *, "
                + "requireSignedManifests = *, allowLinksOutside = false, the default trust store";
        // empty: refused are an unsigned bundle and an unpinned module, which the defaults (warn, no pins) let in
        drop("io.atrium.trust.cfg", "");
        await("one line names the file", () -> log.contains("SEVERE configuration file io.atrium.trust.cfg cannot be read (it holds no property)" + strictest));
        Files.copy(WasmPluginIT.GREETER, folder.resolve("loosewasm.wasm"));
        for (int i = 0; !refused(atrium, "loosewasm.wasm.json", "is refused: it has no signature loosewasm.wasm.json.sig"); i++) { // changed until refused: the policy reaches the transport meanwhile
            assertTrue(i < 300, "the strictest policy never reached the wasm transport: " + deploys());
            drop("loosewasm.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"loosewasm.wasm\", "
                    + "\"description\": \"try " + i + "\"}");
            Thread.sleep(50);
        }
        assertTrue(atrium.service(Greeter.class, "loosewasm").isEmpty());
        assertUnsignedBundleRefused("empty");
        assertTrue(atrium.execute("plugin:trust").output().contains("policy file               io.atrium.trust.cfg cannot be read (it holds no property); "
                + "the strictest policy is in force\n"), atrium.execute("plugin:trust").output());

        // cut short within a line (a torn write), then random bytes: likewise, each after a readable lenient file
        byte[] binary = new byte[64];
        new java.util.Random(7).nextBytes(binary);
        binary[0] = 0;
        for (var bad : java.util.Map.of("torn", "transports = bundle, process, wasm\nbundleSignatures = enf".getBytes(StandardCharsets.UTF_8),
                "binary", binary).entrySet()) {
            drop("io.atrium.trust.cfg", "bundleSignatures = warn\n");
            await("the lenient policy is back", () -> !atrium.execute("plugin:trust").output().contains("policy file")
                    && atrium.execute("plugin:trust").output().matches("(?s).*bundle signatures +warn.*"));
            int before = log.size();
            Path part = folder.resolve(".io.atrium.trust.cfg");
            Files.write(part, bad.getValue());
            Files.move(part, folder.resolve("io.atrium.trust.cfg"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            await("one line names the " + bad.getKey() + " file", () -> log.stream().skip(before).anyMatch(l ->
                    l.startsWith("SEVERE configuration file io.atrium.trust.cfg cannot be read (") && l.endsWith(strictest)));
            assertUnsignedBundleRefused(bad.getKey());
        }
    }

    /** An unsigned bundle, refused once the strictest policy has reached the core. */
    void assertUnsignedBundleRefused(String name) throws Exception {
        await("plugin:trust shows the strictest policy", () -> atrium.execute("plugin:trust").output().matches("(?s).*bundle signatures +enforce.*"));
        place(TestPlugins.dsGreeter(work, "t." + name, "1.0.0", name, "Unsigned"), name + ".jar");
        await(() -> name + ".jar is refused: " + deploys(), () -> refused(atrium, name + ".jar", "is not signed (trust policy: enforce)"));
        assertTrue(atrium.service(Greeter.class, name).isEmpty());
    }

    @Test
    void thePolicyCanAllowOnlyWasmPluginsForCodeNobodyVouchesFor() throws Exception {
        place(TestPlugins.dsGreeter(work, "t.before", "1.0.0", "before", "Before"), "before.jar");
        assertEquals("Before, x", greeter("before").greet("x"));
        drop("io.atrium.trust.cfg", "transports = wasm\n");
        String refusedProcess = "is refused: it is a process plugin, and the trust policy allows only wasm plugins (io.atrium.trust transports)";
        for (int i = 0; !refused(atrium, "probe.plugin.json", refusedProcess); i++) { // changed until refused: the configuration reaches the transport meanwhile
            assertTrue(i < 300, "the policy never reached the process transport: " + deploys());
            helperPlugin("probe", "return 'probe'", "\"description\": \"probe " + i + "\"");
            Thread.sleep(50);
        }
        await("plugin:trust shows it", () -> atrium.execute("plugin:trust").output().matches("(?s).*plugin kinds allowed +wasm\n.*"));
        place(TestPlugins.dsGreeter(work, "t.inproc", "1.0.0", "inproc", "Inproc"), "inproc.jar");
        Files.copy(WasmPluginIT.GREETER, folder.resolve("sandboxed.wasm"));
        drop("sandboxed.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"sandboxed.wasm\"}");
        assertEquals("Hello, sandbox!", greeter("sandboxed").greet("sandbox"), "a wasm plugin runs");
        await(() -> "the bundle is refused: " + deploys(), () -> refused(atrium, "inproc.jar",
                "is a plugin bundle, and the trust policy allows only wasm plugins (io.atrium.trust transports)"));
        assertTrue(atrium.service(Greeter.class, "inproc").isEmpty() && atrium.service(Greeter.class, "probe").isEmpty());
        await("a bundle installed before is stopped too", () -> atrium.service(Greeter.class, "before").isEmpty());
        assertTrue(refused(atrium, "before.jar", "is a plugin bundle, and the trust policy allows only wasm"), deploys());
    }

    /** The core's trust policy as the transports ask it (io.atrium.spi.TransportTrust), by name: it did not always exist. */
    org.osgi.framework.ServiceReference<?> trustService() {
        return atrium.bundleContext().getServiceReference("io.atrium.spi.TransportTrust");
    }

    long trustGeneration() {
        org.osgi.framework.ServiceReference<?> ref = trustService();
        return ref == null ? -1 : (Long) ref.getProperty("generation");
    }

    @Test
    void theTransportsAreJudgedByTheCoresTrustPolicyWhichNamesAnyTransportId() throws Exception {
        long before = trustGeneration();
        assertTrue(before >= 0, "the core offers its trust policy to the transports");
        // mqtt: a transport no one installed yet is a transport id like any other, not a mistyped policy
        drop("io.atrium.trust.cfg", "transports = bundle, wasm, mqtt\n");
        String refused = "is refused: it is a process plugin, and the trust policy allows only bundle, wasm, mqtt plugins (io.atrium.trust transports)";
        for (int i = 0; !refused(atrium, "probe.plugin.json", refused); i++) { // changed until refused: the configuration reaches the core meanwhile
            assertTrue(i < 300, "the process transport never refused by the policy: " + deploys());
            helperPlugin("probe", "return 'probe'", "\"description\": \"probe " + i + "\"");
            Thread.sleep(50);
        }
        assertTrue(trustGeneration() > before, "the trust service said it changed");
        // the rules stand for it, and a typo would leave a transport unrestricted: said in one line
        await("one line names the id no installed transport declares", () -> log.stream().anyMatch(l -> l.contains(
                "configuration io.atrium.trust names mqtt, which no installed transport declares (installed: grpc, native, native-in-process, process, script, wasm); "
                        + "the rules apply to it once one does")));
        Files.copy(WasmPluginIT.GREETER, folder.resolve("sandboxed.wasm"));
        drop("sandboxed.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"sandboxed.wasm\"}");
        assertEquals("Hello, sandbox!", greeter("sandboxed").greet("sandbox"), "a wasm plugin runs");
        assertTrue(atrium.execute("plugin:trust").output().matches("(?s).*plugin kinds allowed +bundle, wasm, mqtt\n.*"), atrium.execute("plugin:trust").output());
        assertTrue(log.stream().noneMatch(l -> l.contains("cannot be read") || l.contains("transports names")), String.join("\n", log));

        // a malformed id is one line naming the key and the value, and the strictest policy stands in for the file
        drop("io.atrium.trust.cfg", "transports = bundle, wasm, my_transport\n");
        await("one line names the value", () -> log.contains("SEVERE configuration file io.atrium.trust.cfg cannot be read (transports names "
                + "'my_transport', which is not a transport id (lower-case letters, digits and -) or *); the strictest trust policy is in force "
                + "until it is mended: bundleSignatures = enforce, requirePins = *, requireSignedManifests = *, allowLinksOutside = false, "
                + "the default trust store"));
    }

    @Test
    void runningPluginsAreJudgedAgainWhenTheTrustServiceSaysThePolicyChanged() throws Exception {
        helperPlugin("loose", "return 'loose ' + who", "");
        Files.copy(WasmPluginIT.GREETER, folder.resolve("loosewasm.wasm"));
        drop("loosewasm.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"loosewasm.wasm\"}");
        assertEquals("loose x", greeter("loose").greet("x"));
        assertEquals("Hello, x!", greeter("loosewasm").greet("x"));
        long before = trustGeneration();

        // * : every transport, whichever is installed
        drop("io.atrium.trust.cfg", "requirePins = *\n");
        await("both stop", () -> atrium.service(Greeter.class, "loose").isEmpty() && atrium.service(Greeter.class, "loosewasm").isEmpty());
        assertTrue(trustGeneration() > before, "the trust service said it changed");
        java.util.Map<String, String> why = new java.util.HashMap<>();
        atrium.registry().problems().forEach(pr -> why.put(pr.plugin(), pr.reason()));
        assertEquals("is refused: the trust policy refuses it now: it pins none of its files (field sha256), and the trust policy "
                + "(io.atrium.trust requirePins) requires process plugins to", why.get("loose"), why.toString());
        assertEquals("is refused: the trust policy refuses it now: it does not pin its module (field sha256), and the trust policy "
                + "(io.atrium.trust requirePins) requires wasm plugins to", why.get("loosewasm"), why.toString());

        // pins required of another transport only: both come back by themselves
        drop("io.atrium.trust.cfg", "requirePins = grpc\n");
        await("both come back", () -> atrium.service(Greeter.class, "loose").isPresent() && atrium.service(Greeter.class, "loosewasm").isPresent());
        assertEquals("loose y", greeter("loose").greet("y"));
    }

    @Test
    void aLinkLeadingOutsideThePluginFolderIsRefusedUnlessThePolicyAllowsIt() throws Exception {
        Path outside = Files.createDirectories(work.resolve("elsewhere"));
        Path jar = Files.copy(TestPlugins.dsGreeter(work, "t.linked", "1.0.0", "linked", "Linked"), outside.resolve("linked.jar"));
        Files.createSymbolicLink(folder.resolve("linked.jar"), jar);
        Path target = jar.toRealPath();
        await(() -> "the link is refused: " + deploys(), () -> refused(atrium, "linked.jar",
                "is a symbolic link to " + target + ", outside the plugin folder (trust policy: allowLinksOutside = false)"));
        assertTrue(atrium.service(Greeter.class, "linked").isEmpty());
        // inside the folder, a link is fine
        Files.copy(TestPlugins.dsGreeter(work, "t.inside", "1.0.0", "inside", "Inside"), folder.resolve(".inside-target.jar"));
        Files.createSymbolicLink(folder.resolve("inside.jar"), folder.resolve(".inside-target.jar"));
        assertEquals("Inside, x", greeter("inside").greet("x"));

        // a process plugin's pinned script that is such a link: refused as the folder lists it, never run under the manifest
        Path script = Files.writeString(outside.resolve("away.py"), "import os, sys\nsys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])\n"
                + "from atrium_plugin import serve\nserve(name='away', version='1.0.0', contract='io.atrium.api.greeting.Greeter', "
                + "methods={'greet': lambda who: 'PWNED, ' + who})\n");
        Files.createSymbolicLink(folder.resolve("away.py"), script);
        drop("away.plugin.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"python3\", \"away.py\"], "
                + "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + ProcessPluginIT.SDK + "\"}, \"sha256\": \""
                + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script))) + "\"}");
        Path away = script.toRealPath();
        await(() -> "the manifest running the link is refused: " + deploys(), () -> refused(atrium, "away.plugin.json",
                "is refused: away.py is a symbolic link to " + away + ", outside the plugin folder (trust policy: allowLinksOutside = false)"));
        assertTrue(atrium.service(Greeter.class, "away").isEmpty(), "it does not run");

        // a wasm plugin's module that is such a link, pinned: the same
        Path module = Files.copy(WasmPluginIT.GREETER, outside.resolve("far.wasm"));
        Files.createSymbolicLink(folder.resolve("far.wasm"), module);
        drop("far.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"far.wasm\", \"sha256\": \""
                + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(module))) + "\"}");
        Path far = module.toRealPath();
        await("the manifest is judged", () -> file(atrium, "far.wasm.json").map(f -> f.state().equals("active") || f.state().equals("refused"))
                .orElse(false));
        assertTrue(refused(atrium, "far.wasm.json", "is refused: far.wasm is a symbolic link to " + far + ", outside the plugin folder "
                + "(trust policy: allowLinksOutside = false)"), deploys());
        assertTrue(atrium.service(Greeter.class, "far").isEmpty(), "it does not run");
        Files.copy(WasmPluginIT.GREETER, folder.resolve(".near-target.wasm"));
        Files.createSymbolicLink(folder.resolve("near.wasm"), folder.resolve(".near-target.wasm"));
        drop("near.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"near.wasm\"}");
        assertEquals("Hello, x!", greeter("near").greet("x"), "a module linked inside the folder runs");
    }

    @Test
    void theCapabilityPolicyRefusesWasmPluginsLackingWhatTheContractsConsumersRequire() throws Exception {
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet, style;version=2\n");
        Files.copy(WasmPluginIT.GREETER, folder.resolve("capable.wasm"));
        String lacking = "is refused: it lacks the capabilities greet, style;version=2, which the configuration io.atrium.capabilities "
                + "requires of every Greeter";
        for (int i = 0; !refused(atrium, "capable.wasm.json", lacking); i++) { // changed until refused: the configuration reaches the transport meanwhile
            assertTrue(i < 300, "the capability policy never reached the wasm transport: " + deploys());
            drop("capable.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"capable.wasm\", "
                    + "\"description\": \"try " + i + "\"}");
            Thread.sleep(50);
        }
        assertTrue(atrium.service(Greeter.class, "capable").isEmpty());
        drop("capable.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"capable.wasm\", "
                + "\"capabilities\": [\"greet\", \"style;version=3\"]}");
        assertEquals("Hello, able!", greeter("capable").greet("able"));
        List<io.atrium.api.Capability> caps = atrium.registry().plugin("capable").orElseThrow().capabilities();
        assertEquals(List.of(new io.atrium.api.Capability("greet", 0), new io.atrium.api.Capability("style", 3)), caps);

        // a stricter policy refuses the module already deployed, with the reason; the old one brings it back
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet, style;version=2, shout\n");
        await(() -> "the deployed module is refused: " + atrium.registry().problems(), () -> PluginFacts.problem(atrium, "capable")
                .map(p -> p.source().equals("capable.wasm.json") && p.reason().startsWith("is refused: it lacks the capability shout")).orElse(false));
        assertTrue(atrium.service(Greeter.class, "capable").isEmpty());
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet, style;version=2\n");
        assertEquals("Hello, again!", greeter("capable").greet("again"));
    }

    @Test
    void theCapabilityPolicyRefusesInProcessPluginsToo() throws Exception {
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet\n");
        String lacking = "is refused: it lacks the capability greet, which the configuration io.atrium.capabilities requires of every Greeter";
        for (int i = 0; !String.valueOf(PluginFacts.reason(atrium, "nocaps")).contains(lacking); i++) { // new versions until the policy has arrived
            assertTrue(i < 100, "the capability policy never reached the registry: " + atrium.registry().problems());
            place(TestPlugins.dsGreeter(work, "t.nocaps", "1.0." + i, "nocaps", "No caps"), "nocaps.jar");
            Thread.sleep(100);
        }
        io.atrium.api.PluginProblem nocaps = PluginFacts.problem(atrium, "nocaps").orElseThrow();
        assertEquals("t.nocaps", nocaps.source());
        assertEquals(lacking, nocaps.reason());
        assertTrue(atrium.service(Greeter.class, "nocaps").isEmpty(), "consumers never see a refused plugin");
        place(TestPlugins.bundle(work, "t.caps", "1.0.0", java.util.Map.of("t.caps.G", """
                package t.caps;
                import io.atrium.api.greeting.Greeter;
                import org.osgi.service.component.annotations.Component;
                @Component(property = {"atrium.plugin.name=caps", "atrium.plugin.capabilities=greet"})
                public class G implements Greeter {
                    public String greet(String who) { return "Capable, " + who; }
                }
                """), java.util.Map.of()), "caps.jar");
        assertEquals("Capable, x", greeter("caps").greet("x"));

        // a stricter policy refuses the plugin already running; the old one accepts it again
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet, shout\n");
        await("the running plugin is refused", () -> atrium.service(Greeter.class, "caps").isEmpty());
        assertTrue(PluginFacts.problem(atrium, "caps").map(p -> p.source().equals("t.caps")
                && p.reason().startsWith("is refused: it lacks the capability shout")).orElse(false), atrium.registry().problems().toString());
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet\n");
        assertEquals("Capable, again", greeter("caps").greet("again"));
        assertTrue(atrium.service(Greeter.class, "nocaps").isEmpty(), "nocaps still lacks greet");
    }

    /** A process plugin and a wasm plugin running, so that both transports are active. */
    private void aProcessAndAWasmPluginRun() throws Exception {
        helperPlugin("stylish", "return 'stylish ' + who", "");
        Files.copy(WasmPluginIT.GREETER, folder.resolve("capable.wasm"));
        drop("capable.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"capable.wasm\", "
                + "\"capabilities\": [\"greet\"]}");
        assertEquals("stylish x", greeter("stylish").greet("x"));
        assertEquals("Hello, x!", greeter("capable").greet("x"));
    }

    @Test
    void theCapabilityPolicyIsReadOnceByTheCoreWhateverTransportsRun() throws Exception {
        aProcessAndAWasmPluginRun();

        // one malformed capability: whoever parses the configuration says so, once
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet, shout, style;version=x\n");
        java.util.function.Predicate<String> malformed = l -> l.startsWith("WARNING configuration io.atrium.capabilities, key "
                + "io.atrium.api.greeting.Greeter: capability ") && l.contains("style;version=x");
        // each transport has acted on the changed policy once its plugin is stopped (the process transport's line) or listed as
        // refused (the wasm transport's own listing): by then a reading of the policy of its own would have warned too
        await(() -> "both transports stop their plugins:\n" + String.join("\n", log) + "\n" + deploys(),
                () -> log.stream().anyMatch(l -> l.startsWith("SEVERE plugin 'stylish' stopped (pid ")) && refused(atrium, "capable.wasm.json",
                        "is refused: it lacks the capability shout, which the configuration io.atrium.capabilities requires of every Greeter"));
        assertEquals(1, log.stream().filter(malformed).count(), "the core alone reads the policy:\n" + String.join("\n", log));
        // and the core alone is configured by it: no transport's component names it
        assertEquals(List.of("io.atrium.core.trust.CapabilityRules"), componentsConfiguredBy("io.atrium.capabilities"));
    }

    /** @return the DS components of every bundle whose configuration pids include this one (SCR's classes are the framework's: by reflection) */
    List<String> componentsConfiguredBy(String pid) throws Exception {
        org.osgi.framework.BundleContext context = atrium.bundleContext();
        // all references: the framework's copy of the package is not the one this test's class path holds
        Object scr = context.getService(context.getAllServiceReferences("org.osgi.service.component.runtime.ServiceComponentRuntime", null)[0]);
        List<String> names = new ArrayList<>();
        Class<?> api = java.util.Arrays.stream(scr.getClass().getInterfaces())
                .filter(i -> i.getName().equals("org.osgi.service.component.runtime.ServiceComponentRuntime")).findFirst().orElseThrow();
        for (Object c : (java.util.Collection<?>) api.getMethod("getComponentDescriptionDTOs", org.osgi.framework.Bundle[].class)
                .invoke(scr, (Object) new org.osgi.framework.Bundle[0])) {
            if (List.of((String[]) c.getClass().getField("configurationPid").get(c)).contains(pid)) {
                names.add((String) c.getClass().getField("name").get(c));
            }
        }
        return names;
    }

    @Test
    void manifestPluginsTheCapabilityPolicyRefusesAreListedRefusedInTheDeploysWithTheReason() throws Exception {
        aProcessAndAWasmPluginRun();

        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet, shout\n");
        String lacking = "lacks the capability shout, which the configuration io.atrium.capabilities requires of every Greeter";
        java.util.Map<String, String> expected = java.util.Map.of("stylish.plugin.json", "is refused: it " + lacking, "capable.wasm.json",
                "is refused: it " + lacking); // in the same words, whatever runs them
        await(() -> "both are refused, as plugin:problems says:\n" + deploys() + atrium.execute("plugin:problems").output(),
                () -> expected.entrySet().stream().allMatch(f -> file(atrium, f.getKey())
                        .map(row -> row.state().equals("refused") && row.detail().equals(f.getValue())).orElse(false)));
        String problems = atrium.execute("plugin:problems").output();
        assertTrue(problems.contains("stylish (stylish.plugin.json): is refused: it " + lacking) && problems.contains("capable (capable.wasm.json): is refused: it "
                + lacking), problems);
        assertEquals(2, problems.lines().filter(l -> l.contains(lacking)).count(), "each said once, by its plugin:\n" + problems);

        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        String json = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                atrium.httpEndpoint().orElseThrow().resolve("/api/deploys")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (var f : expected.entrySet()) {
            var row = com.google.gson.JsonParser.parseString(json).getAsJsonArray().asList().stream().map(com.google.gson.JsonElement::getAsJsonObject)
                    .filter(o -> o.get("file").getAsString().equals(f.getKey())).findFirst().orElseThrow();
            assertEquals("refused", row.get("state").getAsString(), json);
            assertEquals(f.getValue(), row.get("detail").getAsString(), json);
        }

        // accepted again: both run, and their rows say so
        drop("io.atrium.capabilities.cfg", "io.atrium.api.greeting.Greeter = greet\n");
        assertEquals("stylish y", greeter("stylish").greet("y"));
        assertEquals("Hello, y!", greeter("capable").greet("y"));
        await(() -> "both are active again: " + deploys(), () -> expected.keySet().stream()
                .allMatch(f -> file(atrium, f).map(row -> row.state().equals("active")).orElse(false)));
    }

    /** A detached signature of a file, as openssl dgst -sha256 -sign makes it, in base64. */
    void sign(Path keystore, String alias, Path file) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore)) {
            ks.load(in, "secret1".toCharArray());
        }
        java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
        s.initSign((java.security.PrivateKey) ks.getKey(alias, "secret1".toCharArray()));
        s.update(Files.readAllBytes(file));
        Files.writeString(file.resolveSibling(file.getFileName() + ".sig"), java.util.Base64.getEncoder().encodeToString(s.sign()) + "\n");
    }

    @Test
    void manifestsSignedByATrustedKeyDeployAndOthersAreRefusedWhenThePolicyRequiresIt() throws Exception {
        Path author = key("author", "Trusted Plugin Author", null, 30);
        Path stranger = key("stranger", "Someone Else", null, 30);
        Path truststore = work.resolve("trust.p12");
        trust(author, "author", truststore);
        drop("io.atrium.trust.cfg", "requireSignedManifests = process,wasm\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n");
        String required = "it has no signature probe.plugin.json.sig, and the trust policy (io.atrium.trust requireSignedManifests) requires one";
        for (int i = 0; !refused(atrium, "probe.plugin.json", required); i++) { // changed until refused: the configuration reaches the transport meanwhile
            assertTrue(i < 300, "the policy never reached the process transport: " + deploys());
            helperPlugin("probe", "return 'probe'", "\"description\": \"probe " + i + "\"");
            Thread.sleep(50);
        }

        // a process plugin whose manifest the trusted key signed: the signature first, then the manifest
        Path script = folder.resolve("signedpy.py");
        Files.writeString(script, "import os, sys\nsys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])\nfrom atrium_plugin import serve\n"
                + "serve(name='signedpy', version='1.0.0', contract='io.atrium.api.greeting.Greeter', methods={'greet': lambda who: 'signed ' + who})\n");
        Path manifest = work.resolve("signedpy.plugin.json");
        Files.writeString(manifest, "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"python3\", \"signedpy.py\"], "
                + "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + ProcessPluginIT.SDK + "\"}, \"sha256\": \""
                + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script))) + "\"}");
        sign(author, "author", manifest);
        place(manifest.resolveSibling("signedpy.plugin.json.sig"), "signedpy.plugin.json.sig");
        place(manifest, "signedpy.plugin.json");
        assertEquals("signed x", greeter("signedpy").greet("x"));

        // a wasm manifest signed by a key the trust store does not hold
        Files.copy(WasmPluginIT.GREETER, folder.resolve("strangewasm.wasm"));
        Path wasmManifest = work.resolve("strangewasm.wasm.json");
        Files.writeString(wasmManifest, "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"strangewasm.wasm\"}");
        sign(stranger, "stranger", wasmManifest);
        place(wasmManifest.resolveSibling("strangewasm.wasm.json.sig"), "strangewasm.wasm.json.sig");
        place(wasmManifest, "strangewasm.wasm.json");
        await(() -> "the stranger's signature is refused: " + deploys(), () -> refused(atrium, "strangewasm.wasm.json",
                "is refused: strangewasm.wasm.json.sig is not a signature of this file by a key the trust store holds"));

        // the signed manifest changed after signing: refused, and the plugin verified before serves on
        place(Files.writeString(work.resolve("edited.json"), Files.readString(manifest).replace("1.0.0\", \"contract", "1.0.1\", \"contract")),
                "signedpy.plugin.json");
        await(() -> "the edited manifest is refused: " + deploys(), () -> refused(atrium, "signedpy.plugin.json",
                "is refused: signedpy.plugin.json.sig is not a signature of this file by a key the trust store holds"));
        assertEquals("signed y", greeter("signedpy").greet("y"));
        assertTrue(atrium.service(Greeter.class, "strangewasm").isEmpty());
    }

    @Test
    void processAndWasmPluginsRunningWhenTheirSignerIsNoLongerTrustedStopAndComeBackWhenItIsAgain() throws Exception {
        Path author = key("author", "Trusted Plugin Author", null, 30);
        Path truststore = work.resolve("trust.p12");
        trust(author, "author", truststore);
        Path trusting = Files.copy(truststore, work.resolve("trusting.p12"));
        Path other = work.resolve("strangers.p12");
        trust(key("other", "Someone Else", null, 30), "other", other);
        drop("io.atrium.trust.cfg", "requireSignedManifests = process,wasm\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n");

        Path script = folder.resolve("signedpy.py");
        Files.writeString(script, "import os, sys\nsys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])\nfrom atrium_plugin import serve\n"
                + "serve(name='signedpy', version='1.0.0', contract='io.atrium.api.greeting.Greeter', methods={'greet': lambda who: 'signed ' + who})\n");
        Path manifest = work.resolve("signedpy.plugin.json");
        Files.writeString(manifest, "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"python3\", \"signedpy.py\"], "
                + "\"sha256\": \"" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script))) + "\"}");
        sign(author, "author", manifest);
        place(manifest.resolveSibling("signedpy.plugin.json.sig"), "signedpy.plugin.json.sig");
        Files.copy(WasmPluginIT.GREETER, folder.resolve("signedwasm.wasm"));
        Path wasmManifest = work.resolve("signedwasm.wasm.json");
        Files.writeString(wasmManifest, "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"signedwasm.wasm\"}");
        sign(author, "author", wasmManifest);
        place(wasmManifest.resolveSibling("signedwasm.wasm.json.sig"), "signedwasm.wasm.json.sig");
        // the policy reaches the transports beside the deploys: placed until both run under it
        for (int i = 0; atrium.service(Greeter.class, "signedpy").isEmpty() || atrium.service(Greeter.class, "signedwasm").isEmpty(); i++) {
            assertTrue(i < 300, "the signed plugins never ran: " + deploys());
            if (i % 20 == 0) {
                place(manifest, "signedpy.plugin.json");
                place(wasmManifest, "signedwasm.wasm.json");
            }
            Thread.sleep(50);
        }
        assertEquals("signed x", greeter("signedpy").greet("x"));

        // the trust store is replaced by one that no longer holds the author's key: the configuration stays as it was
        Files.copy(other, work.resolve("next.p12"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(work.resolve("next.p12"), truststore, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        await("both stop", () -> atrium.service(Greeter.class, "signedpy").isEmpty() && atrium.service(Greeter.class, "signedwasm").isEmpty());
        for (String name : List.of("signedpy", "signedwasm")) {
            String why = atrium.registry().problems().stream().filter(pr -> pr.plugin().equals(name)).map(io.atrium.api.PluginProblem::reason)
                    .findFirst().orElse(null);
            assertTrue(why != null && why.contains("the trust policy refuses it now: ") && why.contains("is not a signature of this file by a key the trust store holds"),
                    name + ": " + why);
        }
        PluginFacts.start(atrium, "signedpy");
        await(() -> "a start does not bring back what the policy refuses: " + atrium.registry().plugins(),
                () -> PluginFacts.state(atrium, "signedpy") == io.atrium.api.PluginState.FAILED);
        assertTrue(atrium.service(Greeter.class, "signedpy").isEmpty());

        Files.copy(trusting, work.resolve("next.p12"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(work.resolve("next.p12"), truststore, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        await("both come back", () -> atrium.service(Greeter.class, "signedpy").isPresent() && atrium.service(Greeter.class, "signedwasm").isPresent());
        assertEquals("signed y", greeter("signedpy").greet("y"));
    }
}
