package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.CallSpan;
import io.atrium.api.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * The plugin: commands, driven through the real Gogo command processor of a real server: the two samples
 * (in-process), two process plugins of the python helper ({@code py}, whose calls only the statistics' test
 * makes, and {@code pyt}), a wasm greeter ({@code wg}, likewise called only there) and a trust store.
 */
class ShellIT {
    /** How plugin:stats and plugin:traces print a duration. */
    private static final String DURATION = "\\d+\\.\\d\\d ms|\\d+\\.\\d µs";

    @TempDir
    static Path work;
    static Atrium atrium;
    static Path truststore;

    @BeforeAll
    static void start() throws Exception {
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        python(plugins, "py");
        python(plugins, "pyt");
        Files.copy(WasmPluginFolder.GREETER, plugins.resolve("wg.wasm"));
        Files.writeString(plugins.resolve("wg.wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"wg.wasm\"}");
        TestKeys keys = new TestKeys(work);
        truststore = work.resolve("trust.p12");
        keys.trust(keys.key("author", "Shell Author", null, 30), "author", truststore);
        // warn: the unsigned samples install as they would without a policy
        Files.writeString(plugins.resolve("io.atrium.trust.cfg"), "bundleSignatures = warn\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n");
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(plugins).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30));
        awaitActive("py");
        awaitActive("pyt");
        awaitActive("wg");
    }

    /** A process plugin of the python helper whose greet fails for "bad", hangs for "sleep" and exits for "die". */
    private static void python(Path plugins, String name) throws Exception {
        Files.writeString(plugins.resolve(name + ".py"), """
                import os, sys, time
                sys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])
                from atrium_plugin import serve, PluginError
                def greet(who, host=None):
                    if who == "bad":
                        raise PluginError("no greeting for bad")
                    if who == "sleep":
                        time.sleep(10)
                    if who == "die":
                        os._exit(3)
                    return "%s " + who
                serve(name="%s", version="1.0.0", contract="io.atrium.api.greeting.Greeter", methods={"greet": greet})
                """.formatted(name, name));
        Files.writeString(plugins.resolve(name + ".plugin.json"), """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "%s.py"],
                 "env": {"ATRIUM_SDK_PYTHON": "%s"}, "limits": {"callTimeoutMs": 500}}
                """.formatted(name, ProcessPluginIT.SDK));
    }

    static void awaitActive(String name) {
        await(() -> name + " is active: " + atrium.registry().plugins() + " " + atrium.registry().problems(),
                () -> PluginFacts.state(atrium, name) == PluginState.ACTIVE);
    }

    @AfterAll
    static void stop() {
        atrium.stop();
    }

    @Test
    void listShowsBothSamplesInAnAlignedTable() {
        CommandResult r = atrium.execute("plugin:list");
        assertTrue(r.ok(), r.output());
        var lines = TestPlugins.lines(r.output());
        assertTrue(lines.get(0).matches("NAME\\s+VERSION\\s+CONTRACT\\s+TRANSPORT\\s+STATE\\s+BUNDLE"), lines.get(0));
        String english = lines.stream().filter(l -> l.startsWith("english ")).findFirst().orElseThrow();
        String uzbek = lines.stream().filter(l -> l.startsWith("uzbek ")).findFirst().orElseThrow();
        assertTrue(english.matches("english\\s+0\\.1\\.0\\S*\\s+Greeter\\s+in-process\\s+active\\s+io\\.atrium\\.sample\\.greeter \\[\\d+]"), english);
        assertTrue(uzbek.contains("io.atrium.sample.uzbek"), uzbek);
        // aligned: every column starts at the same offset on every line
        assertEquals(lines.get(0).indexOf("CONTRACT"), english.indexOf("Greeter"));
        assertEquals(lines.get(0).indexOf("CONTRACT"), uzbek.indexOf("Greeter"));
        assertFalse(r.output().contains("problem"), "no problems expected: " + r.output());
    }

    @Test
    void callReturnsEachGreeting() {
        assertEquals("Hello, World!\n", atrium.execute("plugin:call english greet World").output());
        assertEquals("Salom, World!\n", atrium.execute("plugin:call uzbek greet World").output());
    }

    @Test
    void infoAndCapsDescribeThePlugin() {
        String info = atrium.execute("plugin:info english").output();
        assertTrue(info.matches("(?s).*contract\\s+io\\.atrium\\.api\\.greeting\\.Greeter\\n.*"), info);
        assertTrue(info.matches("(?s).*capabilities\\s+greeting\\.formal, greeting\\.lang;version=1\\n.*"), info);
        String caps = atrium.execute("plugin:caps english").output();
        assertTrue(caps.matches("(?s).*greeting\\.lang\\s+1\\n.*"), caps);
        assertEquals("no problems\n", atrium.execute("plugin:problems").output());
    }

    @Test
    void mistakesGetOneLineErrorsWithoutStackTraces() {
        String known = "(known: english, py, pyt, uzbek, wg)";
        assertOneLineError(atrium.execute("plugin:call nope greet x"), "Error: unknown plugin 'nope' " + known);
        assertOneLineError(atrium.execute("plugin:call english shout x"), "Error: plugin 'english' has no method 'shout' (its contract Greeter has: greet)");
        assertOneLineError(atrium.execute("plugin:call english greet"), "Error: plugin 'english' method 'greet' takes 1 argument(s), 0 given");
        assertOneLineError(atrium.execute("plugin:call english greet a b"), "Error: plugin 'english' method 'greet' takes 1 argument(s), 2 given");
        // refused before the call, whatever the transport: so never counted in plugin:stats
        assertOneLineError(atrium.execute("plugin:call pyt greet a b"), "Error: plugin 'pyt' method 'greet' takes 1 argument(s), 2 given");
        assertOneLineError(atrium.execute("plugin:call wg greet"), "Error: plugin 'wg' method 'greet' takes 1 argument(s), 0 given");
        assertOneLineError(atrium.execute("plugin:info ghost"), "Error: unknown plugin 'ghost' " + known);
        assertOneLineError(atrium.execute("plugin:frobnicate"), "Error: unknown command 'plugin:frobnicate' (try 'help')");
        // too many or too few for the command itself, as plugin:call says it of a method
        assertOneLineError(atrium.execute("plugin:stats english extra"), "Error: plugin:stats takes 0 or 1 argument(s), 2 given");
        assertOneLineError(atrium.execute("plugin:traces 5 6"), "Error: plugin:traces takes 0 or 1 argument(s), 2 given");
        assertOneLineError(atrium.execute("plugin:trust x"), "Error: plugin:trust takes no arguments, 1 given");
        assertOneLineError(atrium.execute("plugin:deploys x"), "Error: plugin:deploys takes no arguments, 1 given");
        assertOneLineError(atrium.execute("plugin:stop"), "Error: plugin:stop takes 1 argument(s), 0 given");
        assertOneLineError(atrium.execute("plugin:call english"), "Error: plugin:call takes 2 or more argument(s), 1 given");
    }

    private static void assertOneLineError(CommandResult r, String expected) {
        assertEquals(1, r.status(), r.output());
        assertEquals(expected + "\n", r.output());
    }

    /** plugin:deploys: a row per file of the folder, whatever it deploys, in an aligned table. */
    @Test
    void deploysListsEveryFileWithWhatItDeploysAndItsState() {
        List<List<String>> rows = table(atrium.execute("plugin:deploys"), "FILE", "KIND", "DEPLOYS", "STATE", "BUNDLE", "DETAIL");
        Bundle english = bundle("io.atrium.sample.greeter");
        Bundle uzbek = bundle("io.atrium.sample.uzbek");
        assertEquals(List.of(
                List.of("io.atrium.sample.greeter.jar", "bundle", "io.atrium.sample.greeter " + english.getVersion(), "active", "" + english.getBundleId(), ""),
                List.of("io.atrium.sample.uzbek.jar", "bundle", "io.atrium.sample.uzbek " + uzbek.getVersion(), "active", "" + uzbek.getBundleId(), ""),
                List.of("io.atrium.trust.cfg", "config", "io.atrium.trust", "active", "-", ""),
                List.of("py.plugin.json", "process", "py 1.0.0", "active", "-", ""),
                List.of("py.py", "other", "-", "ignored", "-", "used by py.plugin.json"),
                List.of("pyt.plugin.json", "process", "pyt 1.0.0", "active", "-", ""),
                List.of("pyt.py", "other", "-", "ignored", "-", "used by pyt.plugin.json"),
                List.of("wg.wasm", "other", "-", "ignored", "-", "used by wg.wasm.json"),
                List.of("wg.wasm.json", "wasm", "wg 1.0.0", "active", "-", "")), rows);
    }

    /** plugin:stats: each method's calls by outcome and its latency; a row of zeros for a plugin never called. */
    @Test
    void statsCountEachMethodsCallsByOutcome() {
        String[] header = {"PLUGIN", "METHOD", "TRANSPORT", "CALLS", "ERRORS", "TIMEOUTS", "CRASHES", "P50", "P99"};
        assertEquals(List.of(List.of("wg", "-", "wasm", "0", "0", "0", "0", "-", "-")), table(atrium.execute("plugin:stats wg"), header));

        for (String who : List.of("a", "b", "c")) {
            assertEquals("py " + who + "\n", atrium.execute("plugin:call py greet " + who).output());
        }
        for (int i = 0; i < 2; i++) {
            CommandResult bad = atrium.execute("plugin:call py greet bad");
            assertEquals(1, bad.status(), bad.output());
            assertTrue(bad.output().matches("Error: plugin 'py': call \\d+ failed: no greeting for bad \\(code -32000\\) \\(error\\)\n"), bad.output());
        }
        assertOneLineError(atrium.execute("plugin:call py greet sleep"), "Error: plugin 'py': greet did not answer within 500 ms (timeout)");
        CommandResult died = atrium.execute("plugin:call py greet die"); // failed at the end of the stream: the status may follow
        assertEquals(1, died.status(), died.output());
        assertTrue(died.output().matches("Error: plugin 'py': (exited with status 3|closed its stdout; its exit status follows in the log "
                + "and plugin:info) \\(crash\\)\n"), died.output());
        assertEquals("Hello, W!\n", atrium.execute("plugin:call wg greet W").output());
        assertEquals("Hello, X!\n", atrium.execute("plugin:call wg greet X").output());

        List<List<String>> rows = table(atrium.execute("plugin:stats"), header);
        assertEquals(List.of("english", "py", "pyt", "uzbek", "wg"), rows.stream().map(r -> r.get(0)).distinct().toList(),
                "every plugin, called or not");
        List<String> py = row(rows, "py");
        assertEquals(List.of("py", "greet", "process", "7", "2", "1", "1"), py.subList(0, 7), rows.toString());
        assertLatencies(py);
        List<String> wg = row(rows, "wg");
        assertEquals(List.of("wg", "greet", "wasm", "2", "0", "0", "0"), wg.subList(0, 7), rows.toString());
        assertLatencies(wg);
        assertEquals(List.of(py), table(atrium.execute("plugin:stats py"), header), "one plugin's rows only");
        awaitActive("py"); // back from its crash, for the tests after this one
    }

    /** P50 and P99 are durations, the median no slower than the 99th percentile. */
    private static void assertLatencies(List<String> row) {
        String p50 = row.get(7);
        String p99 = row.get(8);
        assertTrue(p50.matches(DURATION) && p99.matches(DURATION), row.toString());
        assertTrue(millis(p50) <= millis(p99), row.toString());
    }

    private static double millis(String duration) {
        double value = Double.parseDouble(duration.substring(0, duration.indexOf(' ')));
        return duration.endsWith(" µs") ? value / 1000 : value;
    }

    /** plugin:traces: the most recent spans, newest last, each with the fields of its span. */
    @Test
    void tracesShowTheRecentCallsSpansNewestLast() {
        awaitActive("pyt");
        assertEquals("pyt t\n", atrium.execute("plugin:call pyt greet t").output());
        assertEquals(1, atrium.execute("plugin:call pyt greet bad").status());
        assertEquals("Hello, T!\n", atrium.execute("plugin:call english greet T").output());

        String[] header = {"TRACE", "SPAN", "PARENT", "PLUGIN", "METHOD", "TRANSPORT", "STATUS", "DURATION", "ERROR"};
        List<List<String>> rows = table(atrium.execute("plugin:traces 3"), header);
        List<CallSpan> spans = PluginFacts.traces(atrium);
        List<CallSpan> last = spans.subList(spans.size() - 3, spans.size());
        assertEquals(List.of("pyt process success", "pyt process error", "english in-process success"),
                last.stream().map(s -> s.plugin() + " " + s.transport() + " " + s.status()).toList(), spans.toString());
        assertEquals(3, rows.size(), rows.toString());
        for (int i = 0; i < 3; i++) {
            CallSpan s = last.get(i);
            List<String> row = rows.get(i);
            assertTrue(row.get(0).matches("[0-9a-f]{32}") && row.get(1).matches("[0-9a-f]{16}"), row.toString());
            assertEquals(List.of(s.traceId(), s.spanId(), "-", s.plugin(), "greet", s.transport(), s.status()), row.subList(0, 7));
            assertTrue(row.get(7).matches(DURATION), row.toString());
            assertEquals(s.error() == null ? "" : s.error(), row.get(8));
        }
        assertTrue(rows.get(1).get(8).matches("plugin 'pyt': call \\d+ failed: no greeting for bad \\(code -32000\\)"), rows.toString());

        List<List<String>> recent = table(atrium.execute("plugin:traces"), header);
        assertEquals(Math.min(20, spans.size()), recent.size(), "at most 20 by default");
        assertEquals(rows, recent.subList(recent.size() - 3, recent.size()));
        for (String bad : List.of("abc", "0", "-1", "2.5")) {
            assertOneLineError(atrium.execute("plugin:traces " + bad), "Error: the count of plugin:traces must be a whole number of at least 1, not '" + bad + "'");
        }
    }

    /** plugin:trust: the policy in force, its trust store and the signers it trusts. */
    @Test
    void trustShowsThePolicyAndTheTrustedSigners() {
        List<List<String>> rows = table(atrium.execute("plugin:trust"), "FIELD", "VALUE");
        assertEquals(List.of(
                List.of("plugin kinds allowed", "all"),
                List.of("bundle signatures", "warn"),
                List.of("trust store", truststore.toString()),
                List.of("revocation lists", "none"),
                List.of("links outside the folder", "refused")), rows.subList(0, 5));
        assertEquals(6, rows.size(), rows.toString());
        assertEquals("trusted signer", rows.get(5).get(0));
        assertTrue(rows.get(5).get(1).matches("CN=Shell Author \\(until \\d{4}-\\d\\d-\\d\\d\\)"), rows.toString());
    }

    /** plugin:reload, stop and start, by plugin name for each transport and by bundle: each replies with the outcome. */
    @Test
    void reloadStopAndStartReplyWithTheState() {
        for (String name : List.of("uzbek", "wg")) {
            assertReply("stopped " + name + ": stopped", atrium.execute("plugin:stop " + name));
            assertReply("stopped " + name + ": stopped", atrium.execute("plugin:stop " + name)); // already: the same
            assertOneLineError(atrium.execute("plugin:call " + name + " greet x"), "Error: plugin '" + name + "' is stopped, not callable now");
            assertReply("started " + name + ": active", atrium.execute("plugin:start " + name));
            assertReply("reloaded " + name + ": active", atrium.execute("plugin:reload " + name));
        }
        assertReply("reloaded pyt: active", atrium.execute("plugin:reload pyt"));
        assertReply("stopped pyt: stopped", atrium.execute("plugin:stop pyt"));
        CommandResult started = atrium.execute("plugin:start pyt");
        assertTrue(started.ok() && started.output().matches("started pyt: (starting|active)\n"), "a process may still be starting: " + started.output());
        awaitActive("pyt");
        assertEquals("pyt x\n", atrium.execute("plugin:call pyt greet x").output());

        Bundle uzbek = bundle("io.atrium.sample.uzbek");
        String which = "io.atrium.sample.uzbek " + uzbek.getVersion() + " [" + uzbek.getBundleId() + "]";
        assertReply("reloaded " + which + ": active", atrium.execute("plugin:reload io.atrium.sample.uzbek"));
        assertReply("stopped " + which + ": stopped", atrium.execute("plugin:stop io.atrium.sample.uzbek"));
        assertEquals(List.of("io.atrium.sample.uzbek.jar", "bundle", "io.atrium.sample.uzbek " + uzbek.getVersion(), "stopped", "" + uzbek.getBundleId(), "stopped"),
                row(table(atrium.execute("plugin:deploys"), "FILE", "KIND", "DEPLOYS", "STATE", "BUNDLE", "DETAIL"), "io.atrium.sample.uzbek.jar"));
        assertReply("started " + which + ": active", atrium.execute("plugin:start " + uzbek.getBundleId()));
        assertEquals("Salom, World!\n", atrium.execute("plugin:call uzbek greet World").output());

        String unknown = "unknown plugin 'nope' (not a plugin name, bundle symbolic name, bundle id or plugin file)";
        for (String command : List.of("reload", "stop", "start", "update", "uninstall")) {
            assertOneLineError(atrium.execute("plugin:" + command + " nope"), "Error: " + unknown);
        }
        assertOneLineError(atrium.execute("plugin:stop io.atrium.core"), "Error: io.atrium.core is part of the server, not a plugin");
    }

    /** plugin:install, update and uninstall of a bundle from outside the folder: each replies in one line. */
    @Test
    void installUpdateAndUninstallReplyInOneLine() throws Exception {
        Path outside = Files.createDirectories(work.resolve("elsewhere"));
        Path jar = Files.copy(TestPlugins.dsGreeter(work, "test.good", "1.0.0", "good", "Good"), outside.resolve("good.jar"));
        CommandResult installed = atrium.execute("plugin:install " + jar);
        long id = bundle("test.good").getBundleId();
        assertReply("installed test.good 1.0.0 [" + id + "]: active", installed);
        assertEquals("Good, x\n", atrium.execute("plugin:call good greet x").output());
        Files.copy(TestPlugins.dsGreeter(work, "test.good", "1.1.0", "good", "Better"), jar, StandardCopyOption.REPLACE_EXISTING);
        assertReply("updated test.good 1.1.0 [" + id + "]: active", atrium.execute("plugin:update good"));
        assertEquals("Better, x\n", atrium.execute("plugin:call good greet x").output());
        assertReply("uninstalled good", atrium.execute("plugin:uninstall good"));
        assertOneLineError(atrium.execute("plugin:uninstall good"),
                "Error: unknown plugin 'good' (not a plugin name, bundle symbolic name, bundle id or plugin file)");

        // a bundle that installs but cannot start: each command that was to start it fails, saying why
        Path failing = Files.copy(TestPlugins.bundle(work, "test.failing", "1.0.0", java.util.Map.of("test_failing.A", """
                package test_failing;
                public class A implements org.osgi.framework.BundleActivator {
                    public void start(org.osgi.framework.BundleContext c) { throw new IllegalStateException("no way"); }
                    public void stop(org.osgi.framework.BundleContext c) { }
                }
                """), java.util.Map.of("Bundle-Activator", "test_failing.A")), outside.resolve("failing.jar"));
        CommandResult refused = atrium.execute("plugin:install " + failing);
        String which = "test.failing 1.0.0 [" + bundle("test.failing").getBundleId() + "]";
        String why = "did not become active (failed): failed to start: IllegalStateException: no way";
        assertOneLineError(refused, "Error: installed " + which + ", but it " + why);
        assertOneLineError(atrium.execute("plugin:start test.failing"), "Error: " + which + " " + why);
        assertOneLineError(atrium.execute("plugin:reload test.failing"), "Error: " + which + " " + why);
        assertOneLineError(atrium.execute("plugin:update test.failing"), "Error: updated " + which + ", but it " + why);
        assertReply("stopped " + which + ": failed: failed to start: IllegalStateException: no way", atrium.execute("plugin:stop test.failing"));
        assertReply("uninstalled test.failing", atrium.execute("plugin:uninstall test.failing"));

        assertOneLineError(atrium.execute("plugin:install " + outside.resolve("nope.jar")), "Error: " + outside.resolve("nope.jar") + " does not exist");
        assertOneLineError(atrium.execute("plugin:install " + WasmPluginFolder.GREETER),
                "Error: " + WasmPluginFolder.GREETER + " is not a valid jar: it is not a zip file");
        assertOneLineError(atrium.execute("plugin:uninstall uzbek"), "Error: io.atrium.sample.uzbek comes from "
                + work.resolve("plugins").resolve("io.atrium.sample.uzbek.jar") + "; delete that file to uninstall it");
        // a process or wasm plugin has no bundle of its own to update or uninstall: never its transport's
        assertOneLineError(atrium.execute("plugin:update wg"),
                "Error: plugin 'wg' is deployed from wg.wasm.json, not a bundle of its own: change that file to update it, or plugin:reload wg");
        assertOneLineError(atrium.execute("plugin:uninstall pyt"),
                "Error: plugin 'pyt' is deployed from pyt.plugin.json, not a bundle of its own: delete that file to uninstall it");
    }

    private static void assertReply(String expected, CommandResult r) {
        assertEquals(0, r.status(), r.output());
        assertEquals(expected + "\n", r.output());
    }

    /**
     * The rows of a table the shell printed, each split into its cells at the header's columns; checks that
     * it is aligned: every cell starts where its header does, two spaces or more after the cell before.
     */
    private static List<List<String>> table(CommandResult r, String... headers) {
        assertTrue(r.ok(), r.output());
        List<String> lines = TestPlugins.lines(r.output());
        String header = lines.get(0);
        assertTrue(header.matches(String.join(" {2,}", headers)), header);
        int[] start = new int[headers.length + 1];
        for (int i = 0, from = 0; i < headers.length; i++) {
            start[i] = header.indexOf(headers[i], from);
            from = start[i] + headers[i].length();
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            start[headers.length] = line.length();
            List<String> cells = new ArrayList<>();
            for (int i = 0; i < headers.length; i++) {
                if (line.length() <= start[i]) { // trailing empty cells are not printed
                    cells.add("");
                    continue;
                }
                assertTrue(line.charAt(start[i]) != ' ' && (i == 0 || line.startsWith("  ", start[i] - 2)),
                        "column " + headers[i] + " is not aligned in:\n" + r.output());
                cells.add(line.substring(start[i], Math.max(start[i], Math.min(line.length(), start[i + 1]))).strip());
            }
            rows.add(cells);
        }
        return rows;
    }

    private static List<String> row(List<List<String>> rows, String first) {
        return rows.stream().filter(r -> r.get(0).equals(first)).findFirst().orElseThrow(() -> new AssertionError("no row " + first + ": " + rows));
    }

    private static Bundle bundle(String bsn) {
        return java.util.Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst().orElseThrow();
    }

    /** Felix's own commands take bundles: they work here (as through atrium client), not only on a terminal's console. */
    @Test
    void felixCommandsThatTakeBundlesWork() {
        long id = java.util.Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> "io.atrium.sample.uzbek".equals(b.getSymbolicName()))
                .findFirst().orElseThrow().getBundleId();
        CommandResult headers = atrium.execute("headers " + id);
        assertTrue(headers.ok(), headers.output());
        assertTrue(headers.output().contains("Bundle-SymbolicName = io.atrium.sample.uzbek"), headers.output());
        assertTrue(atrium.execute("headers io.atrium.sample.uzbek").output().contains("Bundle-SymbolicName = io.atrium.sample.uzbek"));
        CommandResult stop = atrium.execute("stop " + id);
        CommandResult start = atrium.execute("start " + id);
        assertTrue(stop.ok() && start.ok(), stop.output() + start.output());
        assertEquals("Salom, World!\n", atrium.execute("plugin:call uzbek greet World").output());
    }
}
