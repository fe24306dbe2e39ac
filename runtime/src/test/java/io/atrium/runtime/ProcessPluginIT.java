package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static io.atrium.runtime.PluginFacts.file;
import static io.atrium.runtime.PluginFacts.folder;
import static io.atrium.runtime.PluginFacts.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Capability;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginState;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Process plugins on a real server: real Python subprocesses, real manifests in a real watched folder. */
class ProcessPluginIT extends ServerWithPluginFolder {
    static final Path SDK = Path.of("..", "sdk", "python").toAbsolutePath().normalize();
    static final Path EXAMPLES = Path.of("..", "examples", "process").toAbsolutePath().normalize();

    // ------------------------------------------------------------------ helpers

    /** Writes a manifest the documented way (a dotfile renamed into place). */
    void manifest(String name, String json) throws Exception {
        drop(name + ".plugin.json", json);
    }

    PluginRegistry registry() {
        return atrium.registry();
    }

    PluginState state(String name) {
        return registry().plugin(name).map(PluginDescriptor::state).orElse(null);
    }


    long pid(String name) {
        String info = atrium.execute("plugin:info " + name).output();
        return info.lines().filter(l -> l.startsWith("pid ")).map(l -> Long.parseLong(l.substring(4).strip())).findFirst().orElse(-1L);
    }

    boolean logged(String fragment) {
        return logs.contains(fragment);
    }

    /**
     * A call in flight when its process died fails at the end of the stream, without waiting for the exit
     * status: it names the status when the process was reaped already, else says the status follows.
     */
    static void assertCrashedAtOnce(PluginCrashedException e, String plugin, String status) {
        String m = e.getMessage();
        assertTrue(m.startsWith("plugin '" + plugin + "': " + status) || m.equals("plugin '" + plugin + "': " + STATUS_FOLLOWS), m);
    }

    static final String STATUS_FOLLOWS = "closed its stdout; its exit status follows in the log and plugin:info";

    /** Whether the plugin's problem comes from its manifest and its reason starts with {@code reason}. */
    boolean problem(String name, String reason) {
        return PluginFacts.problem(atrium, name).map(p -> p.source().equals(name + ".plugin.json") && p.reason().startsWith(reason)).orElse(false);
    }

    /** The folder's row of a file without its bundle id (none, or the transport's), for comparing it whole. */
    List<String> row(String file) {
        return file(atrium, file).map(f -> List.of(f.kind(), f.target(), f.state(), f.detail())).orElse(List.of());
    }

    // ------------------------------------------------------------------ tests

    @Test
    void aPythonPluginIsAnOrdinaryGreeterService() throws Exception {
        Path ex = EXAMPLES.resolve("python-greeter");
        Files.copy(ex.resolve("greeter.py"), folder.resolve("greeter.py"));
        String m = Files.readString(ex.resolve("python-greeter.plugin.json"))
                .replace("\"config\"", "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + SDK + "\"},\n  \"config\"")
                .replace("\"greeting\": \"Hello\"", "\"greeting\": \"Salom\"");
        manifest("python-greeter", m);

        Greeter g = greeter("python-greeter");
        assertEquals("Salom, World!", g.greet("World")); // answered by Python, with its config read through a callback
        PluginDescriptor d = registry().plugin("python-greeter").orElseThrow();
        assertEquals("process", d.transportId());
        assertEquals(PluginState.ACTIVE, d.state());
        assertEquals("1.0.0", d.version());
        assertEquals("python-greeter.plugin.json", d.source());
        assertTrue(d.capabilities().toString().contains("style;version=2"), d.capabilities().toString());

        assertEquals(Greeter.class.getName(), d.contract());
        assertEquals("Salom, Shell!\n", atrium.execute("plugin:call python-greeter greet Shell").output());
        long pid = pid("python-greeter");
        assertTrue(ProcessHandle.of(pid).isPresent(), "the plugin's process runs: " + pid);
        assertEquals(List.of("process", "python-greeter 1.0.0", "active", ""), row("python-greeter.plugin.json"), folder(atrium));

        Files.delete(folder.resolve("python-greeter.plugin.json"));
        await("the plugin is gone", () -> registry().plugin("python-greeter").isEmpty());
        await("its process exited", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    /** The transport starts after the ready line (and may be stopped): its manifests wait for it, then deploy. */
    @Test
    void aManifestWaitsForItsTransportAndIsDeployedWhenItComes() throws Exception {
        org.osgi.framework.Bundle transport = java.util.Arrays.stream(atrium.bundleContext().getBundles())
                .filter(b -> "io.atrium.transport.process".equals(b.getSymbolicName())).findFirst().orElseThrow();
        transport.stop();
        Path ex = EXAMPLES.resolve("python-greeter");
        Files.copy(ex.resolve("greeter.py"), folder.resolve("greeter.py"));
        manifest("python-greeter", Files.readString(ex.resolve("python-greeter.plugin.json"))
                .replace("\"config\"", "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + SDK + "\"},\n  \"config\""));
        await(() -> "the manifest waits for its transport: " + folder(atrium), () -> new io.atrium.api.PluginFolder.File("python-greeter.plugin.json",
                "process", "", "waiting", -1, "waits for its transport (process)").equals(file(atrium, "python-greeter.plugin.json").orElse(null)));
        transport.start();
        assertEquals("Hello, World!", greeter("python-greeter").greet("World"));
    }

    /**
     * A first start on a fresh data folder, its manifest already in the plugin folder: the transport's bundle
     * says which files it deploys before the folder is first read, so the manifest waits for it and is never
     * read as a configuration file (a {@code .json}).
     */
    @Test
    void aManifestInTheFolderAtAFirstStartIsNeverReadAsAConfiguration() throws Exception {
        atrium.stop();
        Path fresh = Files.createDirectories(work.resolve("fresh-plugins"));
        Path ex = EXAMPLES.resolve("python-greeter");
        Files.copy(ex.resolve("greeter.py"), fresh.resolve("greeter.py"));
        Files.writeString(fresh.resolve("python-greeter.plugin.json"), Files.readString(ex.resolve("python-greeter.plugin.json"))
                .replace("\"config\"", "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + SDK + "\"},\n  \"config\""));
        atrium = TestPlugins.builder().dataDir(work.resolve("fresh-data")).pluginDir(fresh).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30));
        assertEquals("Hello, World!", greeter("python-greeter").greet("World"));
        // neither refused as a configuration ("plugin file … has property 'limits': a nested object …") nor applied as one
        assertTrue(log.stream().noneMatch(l -> l.contains("plugin file python-greeter.plugin.json") || l.contains("set from python-greeter.plugin.json")),
                () -> String.join("\n", log));
    }

    @Test
    void callbacksLogAndStderrReachTheHostLogUnderThePluginsName() throws Exception {
        helperPlugin("chatty", """
                host.log("greeting " + who, level="warn")
                print("a line on stderr", file=sys.stderr, flush=True)
                print("a stray print")
                return "hi " + who""", "");
        assertEquals("hi you", greeter("chatty").greet("you"));
        await("the callback's line is logged", () -> log.contains("WARNING plugin 'chatty': greeting you"));
        await("stderr is logged", () -> log.contains("INFO plugin 'chatty': a line on stderr"));
        await("a stray print (sent to stderr by the helper) is logged", () -> log.contains("INFO plugin 'chatty': a stray print"));
    }

    @Test
    void manyCallsInFlightAtOnceAnsweredOutOfOrder() throws Exception {
        helperPlugin("slowfast", """
                time.sleep(0.3 if who == "slow" else 0)
                return who""", "");
        Greeter g = greeter("slowfast");
        var slow = java.util.concurrent.CompletableFuture.supplyAsync(() -> g.greet("slow"));
        Thread.sleep(50);
        assertEquals("fast", g.greet("fast")); // not queued behind the slow call
        assertFalse(slow.isDone(), "the fast call was answered while the slow one was still running");
        assertEquals("slow", slow.get());
    }

    @Test
    void aCrashFailsCallsInFlightAndTheSupervisorLogsItsExitStatusAndRestartsIt() throws Exception {
        helperPlugin("crashy", """
                if who == "die":
                    os._exit(3)
                return "alive " + who""", "");
        Greeter g = greeter("crashy");
        long pid = pid("crashy");
        PluginCrashedException e = assertThrows(PluginCrashedException.class, () -> g.greet("die"));
        assertCrashedAtOnce(e, "crashy", "exited with status 3");
        await("the exit status is logged", () -> logged("plugin 'crashy' exited with status 3; restarting in"));
        assertTrue(atrium.execute("plugin:info crashy").output().matches(
                "(?s).*\nlast error +crash at \\d\\d:\\d\\d:\\d\\d UTC: exited with status 3[^\n]*\n.*"), atrium.execute("plugin:info crashy").output());
        await("a new process answers", () -> {
            try {
                return atrium.service(Greeter.class, "crashy").map(x -> x.greet("again")).orElse("").equals("alive again");
            } catch (RuntimeException notYet) {
                return false;
            }
        });
        assertNotEquals(pid, pid("crashy"));
        assertTrue(atrium.execute("plugin:info crashy").output().contains("restarts      1"), atrium.execute("plugin:info crashy").output());
    }

    /**
     * A consumer that keeps the service it got: while the plugin is down its calls fail at once, saying why (a
     * restart's backoff, an operator's stop), and the same object answers once the plugin is back.
     */
    @Test
    void aServiceKeptByItsConsumerSaysWhyThePluginIsDownAndAnswersOnceItIsBack() throws Exception {
        helperPlugin("kept", """
                if who == "die":
                    os._exit(3)
                return "alive " + who""", "\"restart\": {\"initialBackoffMs\": 600000, \"maxBackoffMs\": 600000}");
        Greeter g = greeter("kept");
        assertThrows(PluginCrashedException.class, () -> g.greet("die"));
        await("its restart waits", () -> logged("plugin 'kept' exited with status 3; restarting in 600000 ms"));
        PluginUnavailableException restarting = assertThrows(PluginUnavailableException.class, () -> g.greet("x"));
        assertEquals("plugin 'kept': restarting: exited with status 3", restarting.getMessage());
        assertEquals(0, atrium.execute("plugin:stop kept").status());
        assertEquals("plugin 'kept': is stopped", assertThrows(PluginUnavailableException.class, () -> g.greet("x")).getMessage());
        assertEquals(0, atrium.execute("plugin:start kept").status());
        await("the service kept answers again", () -> {
            try {
                return g.greet("again").equals("alive again");
            } catch (PluginUnavailableException notYet) {
                return false;
            }
        });
        assertSame(g, greeter("kept"));
        // another plugin that merely takes the name (another transport's file) is not the one the consumer kept
        Files.delete(folder.resolve("kept.plugin.json"));
        await("kept is gone", () -> atrium.service(Greeter.class, "kept").isEmpty());
        drop("kept.js", "/* atrium { \"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\" } */\n"
                + "function greet(n) { return 'impostor ' + n; }\n");
        assertEquals("impostor x", greeter("kept").greet("x"));
        assertNotSame(g, greeter("kept"));
        assertEquals("plugin 'kept': was removed", assertThrows(PluginUnavailableException.class, () -> g.greet("x")).getMessage());
    }

    /**
     * A process that closes its stdout and exits a moment later: its calls fail at the end of the stream,
     * not at its exit, and the exit status comes to the log once the process is reaped.
     */
    @Test
    void callsFailAtTheEndOfTheStreamAndTheExitStatusFollowsInTheLog() throws Exception {
        helperPlugin("closer", """
                if who == "close":
                    os.close(1)
                    time.sleep(0.5)
                    os._exit(3)
                return "alive " + who""", "");
        PluginCrashedException e = assertThrows(PluginCrashedException.class, () -> greeter("closer").greet("close"));
        assertEquals("plugin 'closer': " + STATUS_FOLLOWS, e.getMessage(), "failed at its exit, not at the end of its stdout");
        await("the exit status is logged", () -> logged("plugin 'closer' exited with status 3; restarting in"));
    }

    /** A call that takes too long fails as timed out; the plugin still answers its health check, so it lives on. */
    @Test
    void aSlowCallTimesOutAndAPluginThatStillAnswersLivesOn() throws Exception {
        helperPlugin("hangs", """
                if who == "hang":
                    time.sleep(3600)
                return "ok " + who""", "\"limits\": {\"callTimeoutMs\": 300}");
        // the helper answers pings on its reader thread while a worker sleeps (aPluginThatStopsAnswering… is the real hang)
        Greeter g = greeter("hangs");
        long pid = pid("hangs");
        assertEquals("ok a", g.greet("a"));
        PluginTimeoutException e = assertThrows(PluginTimeoutException.class, () -> g.greet("hang"));
        assertEquals("plugin 'hangs': greet did not answer within 300 ms", e.getMessage());
        assertEquals("ok b", g.greet("b")); // a slow call is not a dead plugin: the health check answered
        Thread.sleep(2_500); // past the health check's 2 s: a plugin that had not answered it would be killed by now
        assertEquals(pid, pid("hangs"), "the same process still serves");
        assertEquals("ok c", g.greet("c"));
    }

    @Test
    void aPluginThatStopsAnsweringIsKilledAndRestarted() throws Exception {
        python("frozen", """
                print(json.dumps({"jsonrpc": "2.0", "method": "atrium.handshake", "params": {"cookie": os.environ["ATRIUM_PLUGIN_COOKIE"],
                      "protocol": 1, "contract": "io.atrium.api.greeting.Greeter"}}), flush=True)
                for line in sys.stdin:
                    msg = json.loads(line)
                    if msg.get("params") == ["freeze"]:
                        time.sleep(3600)
                    print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": "ok"}), flush=True)
                """, "\"limits\": {\"callTimeoutMs\": 300}");
        Greeter g = greeter("frozen");
        long pid = pid("frozen");
        assertThrows(PluginTimeoutException.class, () -> g.greet("freeze"));
        await("the frozen process is killed", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        await("it is restarted", () -> pid("frozen") > 0 && pid("frozen") != pid);
        await("the kill is logged with its reason", () -> logged("plugin 'frozen' stopped answering: no answer to a health check within 2000 ms (killed); restarting in"));
    }

    /**
     * A plugin whose child moved to a session of its own (setsid) and kept its stdout open: its death is
     * its process's exit all the same, and the child ends with it, with its reload and with the server.
     */
    @Test
    void aPluginIsDeadWhenItsProcessExitsAndWhatItStartedEndsWithIt() throws Exception {
        raw("forked", GOOD, """
                import subprocess
                child = subprocess.Popen(["setsid", "sleep", "1000"])  # inherits stdin, stdout and stderr: holds them open
                while os.getsid(child.pid) != child.pid:  # out of the plugin's group and session before anything else
                    time.sleep(0.001)
                open(".child-of-%d" % os.getpid(), "w").write(str(child.pid))
                if msg.get("params") == ["die"]:
                    os._exit(3)
                say({"jsonrpc": "2.0", "id": msg["id"], "result": str(child.pid)})""", "\"restart\": {\"initialBackoffMs\": 50}");
        Greeter g = greeter("forked");
        long first = pid("forked");

        PluginCrashedException e = assertThrows(PluginCrashedException.class, () -> g.greet("die"));
        assertCrashedAtOnce(e, "forked", "exited with status 3");
        long orphan = childOf(first);
        await("the child of the dead plugin is gone", () -> gone(orphan));
        assertTrue(log.stream().noneMatch(l -> l.contains("health check")), "no false health check failure");
        await("the plugin is restarted", () -> pid("forked") > 0 && pid("forked") != first);
        assertTrue(logged("plugin 'forked' exited with status 3; restarting in 50 ms"), String.join("\n", log));

        long second = pid("forked");
        long reloaded = spawned(greeter("forked"));
        assertEquals(PluginState.ACTIVE, PluginFacts.reload(atrium, "forked"));
        await("the child of the reloaded plugin's old process is gone", () -> gone(reloaded) && gone(second));

        long last = spawned(greeter("forked"));
        atrium.stop();
        atrium = null;
        await("the child is gone with the server", () -> gone(last));
    }

    /** @return the pid of a child the plugin "forked" started, once it runs in a session of its own (out of its plugin's group) */
    long spawned(Greeter forked) throws Exception {
        long child = Long.parseLong(forked.greet("spawn"));
        await("the child " + child + " runs in a session of its own", () -> {
            try {
                return session(child) == child;
            } catch (java.io.IOException gone) {
                return false;
            }
        });
        return child;
    }

    /** @return the pid the raw plugin "forked" wrote for the child its process started */
    long childOf(long plugin) throws Exception {
        Path f = folder.resolve(".child-of-" + plugin);
        await("the plugin said its child's pid", () -> Files.exists(f) && !readQuietly(f).isEmpty());
        return Long.parseLong(readQuietly(f));
    }

    private static String readQuietly(Path f) {
        try {
            return Files.readString(f).strip();
        } catch (java.io.IOException notYet) {
            return "";
        }
    }

    /** @return whether the process is gone: no such pid, or a zombie waiting to be reaped (killed, not yet buried) */
    static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException noSuchProcess) {
            return true;
        }
    }

    /** @return the process's session id (/proc/PID/stat, the sixth field) */
    static long session(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
    }

    @Test
    void repeatedCrashesBackOffThenMarkThePluginFailed() throws Exception {
        python("doomed", """
                sys.stderr.write("cannot start: no database\\n")
                sys.exit(7)
                """, "\"restart\": {\"maxRestarts\": 2, \"windowSeconds\": 60, \"initialBackoffMs\": 50}");
        await("the plugin is failed", () -> state("doomed") == PluginState.FAILED);
        assertTrue(logged("plugin 'doomed' exited with status 7; last stderr line: 'cannot start: no database', before its handshake; restarting in 50 ms"),
                String.join("\n", log));
        assertTrue(logged("restarting in 100 ms"), "the backoff doubles");
        // maxRestarts 2: two crashes are restarted, the third fails it
        assertTrue(logged("restarting in 50 ms (crash 1 of 2 allowed within 60 s)"), String.join("\n", log));
        assertTrue(logged("restarting in 100 ms (crash 2 of 2 allowed within 60 s)"), String.join("\n", log));
        assertTrue(problem("doomed", "crashed 3 times within 60 s; last: exited with status 7"), registry().problems().toString());
        assertEquals(PluginState.FAILED, state("doomed"));
        var doomed = file(atrium, "doomed.plugin.json").orElseThrow();
        assertTrue(doomed.kind().equals("process") && doomed.target().equals("doomed 1.0.0") && doomed.state().equals("failed")
                && doomed.bundleId() == -1 && doomed.detail().startsWith("crashed 3 times within 60 s; last: "), doomed.toString());
        assertEquals("Error: plugin 'doomed' is failed, not callable now: crashed 3 times within 60 s; last: exited with status 7; "
                + "last stderr line: 'cannot start: no database', before its handshake\n", atrium.execute("plugin:call doomed greet x").output());
    }

    @Test
    void theMemoryCapKillsALeakingPluginAndTheHostSurvives() throws Exception {
        // task 12: a plugin that allocates past a 10 MiB cap dies, the host says why and lives on
        python("leaky", """
                print(json.dumps({"jsonrpc": "2.0", "method": "atrium.handshake", "params": {"cookie": os.environ["ATRIUM_PLUGIN_COOKIE"],
                      "protocol": 1, "contract": "io.atrium.api.greeting.Greeter"}}), flush=True)
                hoard = []
                for line in sys.stdin:
                    while True:
                        hoard.append(bytearray(1024 * 1024))
                """, "\"limits\": {\"memoryMb\": 10}");
        Greeter g = greeter("leaky");
        assertTrue(atrium.execute("plugin:info leaky").output().contains("memory cap    10 MiB"), atrium.execute("plugin:info leaky").output());
        PluginCrashedException e = assertThrows(PluginCrashedException.class, () -> g.greet("x"));
        assertCrashedAtOnce(e, "leaky", "exited with status 1");
        await("the log says why it died", () -> logged("plugin 'leaky' exited with status 1: it ran out of memory under its cap of 10 MiB; "
                + "last stderr line: 'MemoryError'; restarting in"));
        await("it is restarted", () -> state("leaky") == PluginState.ACTIVE);
    }

    /**
     * The manifest of docs/protocol.md (memoryMb 64) with a script on the Python helper: its 8 workers
     * serve 8 calls at once. A thread's stack counts against the cap whole; at the default 8 MiB the 7th
     * worker could not start ("can't start new thread") and the plugin died.
     */
    @Test
    void theDocumentedManifestServesTheHelpersEightWorkersAtOnce() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "protocol.md"));
        int start = doc.indexOf("```json\n") + "```json\n".length();
        String documented = doc.substring(start, doc.indexOf("```", start));
        assertTrue(documented.contains("\"memoryMb\": 64") && documented.contains("\"command\": [\"python3\", \"greeter.py\"]"), documented);
        Files.writeString(folder.resolve("greeter.py"), """
                import os, sys, threading
                sys.path.insert(0, os.environ["ATRIUM_SDK_PYTHON"])
                from atrium_plugin import serve
                everyone = threading.Barrier(8, timeout=10)
                def greet(who):
                    everyone.wait()  # answered only once all 8 calls are in a worker at once
                    return "Hello, " + who
                serve(name="python-greeter", version="1.0.0", contract="io.atrium.api.greeting.Greeter",
                      capabilities=["greet", "config", "style;version=2"], methods={"greet": greet})
                """);
        manifest("python-greeter", documented.replace("\"env\": {", "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + SDK + "\", "));
        Greeter g = greeter("python-greeter");
        assertTrue(atrium.execute("plugin:info python-greeter").output().contains("memory cap    64 MiB"));
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<String>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String who = "caller " + i;
                calls.add(callers.submit(() -> g.greet(who)));
            }
            for (int i = 0; i < 8; i++) {
                assertEquals("Hello, caller " + i, calls.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void capabilitiesAreDeclaredInTheHandshakeAndTheConfigurationCanRequireThem() throws Exception {
        Files.writeString(folder.resolve("io.atrium.capabilities.cfg"), "io.atrium.api.greeting.Greeter = greet, style;version=3\n");
        Thread.sleep(300);
        helperPlugin("stylish", "return who", "");
        await("the plugin is refused", () -> state("stylish") == PluginState.FAILED);
        assertTrue(problem("stylish", "is refused: it lacks the capability style;version=3, which the configuration "
                + "io.atrium.capabilities requires of every Greeter"), registry().problems().toString());
        // a policy it satisfies launches it again, by itself
        Files.writeString(folder.resolve("io.atrium.capabilities.cfg"), "io.atrium.api.greeting.Greeter = greet, style;version=2\n");
        assertEquals("z", greeter("stylish").greet("z"));
        assertEquals(List.of(new Capability("greet", 0), new Capability("config", 0), new Capability("style", 2)),
                registry().plugin("stylish").orElseThrow().capabilities());
        // and a stricter one refuses it while it runs: its service goes, its process ends, and the log says why, once a plugin
        helperPlugin("plain", "return who", "");
        assertEquals("p", greeter("plain").greet("p"));
        long pid = pid("stylish");
        long plainPid = pid("plain");
        Files.writeString(folder.resolve("io.atrium.capabilities.cfg"), "io.atrium.api.greeting.Greeter = greet, shout\n");
        await("the running plugins are refused", () -> state("stylish") == PluginState.FAILED && state("plain") == PluginState.FAILED);
        assertTrue(problem("stylish", "is refused: it lacks the capability shout"), registry().problems().toString());
        assertTrue(atrium.service(Greeter.class, "stylish").isEmpty());
        await("its process ends", () -> ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true));
        for (var stopped : java.util.Map.of("stylish", pid, "plain", plainPid).entrySet()) {
            String line = "SEVERE plugin '" + stopped.getKey() + "' stopped (pid " + stopped.getValue() + ") by the changed capability policy, "
                    + "rule 'io.atrium.api.greeting.Greeter = greet, shout': it lacks the capability shout, which the configuration "
                    + "io.atrium.capabilities requires of every Greeter";
            assertEquals(1, log.stream().filter(line::equals).count(), line + " is logged once:\n" + String.join("\n", log));
        }
    }

    @Test
    void reloadUnderLoadFailsNoCallAndTheOldProcessExits() throws Exception {
        helperPlugin("steady", "time.sleep(0.002)\nreturn 'v' + os.environ.get('V', '1')", "");
        Greeter g = greeter("steady");
        long oldPid = pid("steady");
        Callers callers = new Callers(4, () -> g.greet("x"));
        Thread.sleep(200);
        assertEquals(PluginState.ACTIVE, PluginFacts.reload(atrium, "steady"));
        long newPid = pid("steady");
        assertNotEquals(oldPid, newPid);
        await("the old process exits", () -> ProcessHandle.of(oldPid).map(p -> !p.isAlive()).orElse(true));
        int before = callers.answered();
        await("calls go on", () -> callers.answered() > before + 20);
        callers.close();
        assertEquals(null, callers.failure(), "no call failed during the reload");
    }

    @Test
    void aReloadThatChangesNothingAConsumerSeesFiresNoServiceEvent() throws Exception {
        helperPlugin("same", "return 'same'", "");
        greeter("same");
        List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        org.osgi.framework.ServiceListener listener = e -> events.add(e.getType() + " " + e.getServiceReference().getProperty("atrium.plugin.name"));
        atrium.bundleContext().addServiceListener(listener, "(atrium.plugin.name=same)");
        try {
            long before = pid("same");
            assertEquals(PluginState.ACTIVE, PluginFacts.reload(atrium, "same"));
            assertNotEquals(before, pid("same"));
            assertEquals("same", greeter("same").greet("x"));
            assertEquals(List.of(), events, "the same name, version, capabilities and file: the registration is left as it is");
        } finally {
            atrium.bundleContext().removeServiceListener(listener);
        }
    }

    @Test
    void badManifestsAreRefusedInOneLine() throws Exception {
        manifest("syntax", "{ \"version\": \"1.0.0\", ");
        manifest("typo", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"comand\": [\"x\"]}");
        manifest("unknown", "{\"version\": \"1.0.0\", \"contract\": \"com.example.Nope\", \"command\": [\"python3\"]}");
        manifest("range", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"contractVersion\": \"[2.0,3.0)\", \"command\": [\"python3\"]}");
        manifest("missing", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"./nothing-here\"]}");
        Files.writeString(folder.resolve("noexec.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(folder.resolve("noexec.sh"), PosixFilePermissions.fromString("rw-r--r--"));
        manifest("noexec", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"./noexec.sh\"]}");
        manifest("nopath", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"no-such-command-x\"]}");
        manifest("notcontract", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.PluginRegistry\", \"command\": [\"python3\"]}");
        manifest("badlimit", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"python3\"], \"limits\": {\"callTimeoutMs\": -1}}");
        var expected = java.util.Map.of(
                "syntax.plugin.json", "is not a valid process plugin manifest: not valid JSON: ",
                "typo.plugin.json", "is not a valid process plugin manifest: unknown field 'comand' (known: ",
                "unknown.plugin.json", "names the contract com.example.Nope, which no bundle of the server exports",
                "range.plugin.json", "needs io.atrium.api.greeting [2.0.0,3.0.0), but the server provides version 1.0.0",
                "missing.plugin.json", "cannot be run: executable ./nothing-here is missing",
                "noexec.plugin.json", "cannot be run: executable ./noexec.sh is not executable (chmod +x noexec.sh)",
                "nopath.plugin.json", "cannot be run: command 'no-such-command-x' is not on the PATH",
                "notcontract.plugin.json", "names io.atrium.api.PluginRegistry, which is not a plugin contract",
                "badlimit.plugin.json", "is not a valid process plugin manifest: field 'limits.callTimeoutMs': expected a whole number > 0, found -1");
        expected.forEach((file, reason) -> await(() -> file + " is refused with: " + reason + "\n" + folder(atrium),
                () -> logged("plugin file " + file + " " + reason)));
        helperPlugin("good", "return 'fine'", ""); // the rest is undisturbed
        assertEquals("fine", greeter("good").greet("x"));
    }

    /** A plugin speaking the protocol by hand: a handshake line (with the cookie unless told), then a loop over requests. */
    void raw(String name, String handshakeParams, String onRequest, String extraManifest) throws Exception {
        python(name, """
                cookie = os.environ.get("ATRIUM_PLUGIN_COOKIE")
                def say(obj):
                    sys.stdout.write(obj if isinstance(obj, str) else json.dumps(obj) + "\\n")
                    sys.stdout.flush()
                say({"jsonrpc": "2.0", "method": "atrium.handshake", "params": {%s}})
                for line in sys.stdin:
                    msg = json.loads(line)
                    if msg.get("method") == "atrium.ping":
                        say({"jsonrpc": "2.0", "id": msg["id"], "result": "pong"})
                        continue
                %s
                """.formatted(handshakeParams, onRequest.indent(4).stripTrailing()), extraManifest);
    }

    static final String GOOD = "\"cookie\": cookie, \"protocol\": 1, \"contract\": \"io.atrium.api.greeting.Greeter\"";

    void awaitRefused(String name, String reason) throws InterruptedException {
        await(() -> name + " is refused with: " + reason + "\n" + registry().problems(), () -> problem(name, reason));
        assertEquals(PluginState.FAILED, state(name));
    }

    @Test
    void handshakesTheHostRefuses() throws Exception {
        raw("nocookie", "\"protocol\": 1, \"contract\": \"io.atrium.api.greeting.Greeter\"", "pass", "");
        raw("badcookie", "\"cookie\": \"guess\", \"protocol\": 1, \"contract\": \"io.atrium.api.greeting.Greeter\"", "pass", "");
        raw("future", "\"cookie\": cookie, \"protocol\": 7, \"contract\": \"io.atrium.api.greeting.Greeter\"", "pass", "");
        raw("othercontract", "\"cookie\": cookie, \"protocol\": 1, \"contract\": \"com.example.Other\"", "pass", "");
        raw("impostor", GOOD + ", \"name\": \"someone-else\"", "pass", "");
        raw("promise", GOOD + ", \"capabilities\": [\"greet\"]", "pass", "\"capabilities\": [\"greet\", \"style;version=2\"]");
        python("garbage", "print('Starting up, please wait...', flush=True)\ntime.sleep(60)\n", "");
        python("silent", "time.sleep(60)\n", "\"limits\": {\"handshakeTimeoutMs\": 300}");
        awaitRefused("nocookie", "sent a handshake without the cookie: it was not written for Atrium, or ignores ATRIUM_PLUGIN_COOKIE");
        awaitRefused("badcookie", "sent a handshake with the wrong cookie 'guess'");
        awaitRefused("future", "speaks protocol version 7; this host speaks [1]");
        awaitRefused("othercontract", "announces the contract com.example.Other, but its manifest says io.atrium.api.greeting.Greeter");
        awaitRefused("impostor", "calls itself 'someone-else', but its manifest says 'impostor'");
        awaitRefused("promise", "does not declare the capability style;version=2 its manifest promises");
        awaitRefused("garbage", "sent 'Starting up, please wait...' instead of the handshake");
        await("the silent plugin times out, is restarted and fails", () -> problem("silent", ""));
        assertTrue(logged("plugin 'silent' sent no handshake within 300 ms; restarting in 100 ms"), String.join("\n", log));
        helperPlugin("good", "return 'fine'", ""); // the rest is undisturbed
        assertEquals("fine", greeter("good").greet("x"));
    }

    @Test
    void protocolViolationsAfterTheHandshakeAreNamedAndSurvived() throws Exception {
        raw("junk", GOOD, """
                say("debug: got a call\\n")
                say({"jsonrpc": "2.0", "id": msg["id"], "result": "still fine"})""", "");
        raw("malformed", GOOD, "say('{\"jsonrpc\": \"2.0\", \"id\": ' + str(msg['id']) + ', \"result\": \\n')", "");
        raw("huge", GOOD, "say({\"jsonrpc\": \"2.0\", \"id\": msg[\"id\"], \"result\": \"x\" * 20000})", "\"limits\": {\"maxFrameBytes\": 10000}");
        raw("stranger", GOOD, """
                say({"jsonrpc": "2.0", "id": 9999, "result": "for nobody"})
                say({"jsonrpc": "2.0", "id": msg["id"], "result": "mine"})""", "");
        raw("flood", GOOD, """
                for i in range(5000):
                    sys.stderr.write("noise %d\\n" % i)
                sys.stderr.flush()
                say({"jsonrpc": "2.0", "id": msg["id"], "result": "after the flood"})""", "");

        assertEquals("still fine", greeter("junk").greet("x"));
        await("junk on stdout is logged", () -> logged("WARNING plugin 'junk': wrote to stdout outside the protocol (use stderr for logs): debug: got a call"));

        PluginCrashedException m = assertThrows(PluginCrashedException.class, () -> greeter("malformed").greet("x"));
        assertTrue(m.getMessage().startsWith("plugin 'malformed': sent a malformed frame: '{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": ' (killed)"), m.getMessage());

        PluginCrashedException h = assertThrows(PluginCrashedException.class, () -> greeter("huge").greet("x"));
        assertEquals("plugin 'huge': sent a frame larger than the limit of 10000 bytes (killed)", h.getMessage());

        assertEquals("mine", greeter("stranger").greet("x"));
        await("the unknown id is logged", () -> logged("WARNING plugin 'stranger' answered call 9999, which the host never made; the answer is dropped"));

        assertEquals("after the flood", greeter("flood").greet("x"));
        await("the flood is cut and counted", () -> logged("WARNING plugin 'flood' logs too fast: lines beyond 200 a second are dropped"));
        assertTrue(log.stream().filter(l -> l.contains("plugin 'flood': noise")).count() <= 400, "at most 200 lines a second are kept");
        helperPlugin("good", "return 'fine'", "");
        assertEquals("fine", greeter("good").greet("x"));
    }

    @Test
    void lateDuplicateAndStringIdAnswersAreNamedForWhatTheyAre() throws Exception {
        raw("late", GOOD, """
                if msg["params"] == ["slow"]:
                    time.sleep(0.6)
                say({"jsonrpc": "2.0", "id": msg["id"], "result": "first"})
                say({"jsonrpc": "2.0", "id": msg["id"], "result": "second"})""", "\"limits\": {\"callTimeoutMs\": 300}");
        raw("stringly", GOOD, "say({\"jsonrpc\": \"2.0\", \"id\": str(msg[\"id\"]), \"result\": \"mine\"})", "");
        Greeter late = greeter("late");
        assertThrows(PluginTimeoutException.class, () -> late.greet("slow"));
        await("the late answer is logged as late", () -> log.stream().anyMatch(l -> l.matches(
                "WARNING plugin 'late' answered call \\d+ after the host had stopped waiting for it \\(timed out\\); the answer is dropped")));
        assertEquals("first", late.greet("quick"));
        await("the second answer is logged as a second one", () -> log.stream().anyMatch(l -> l.matches(
                "WARNING plugin 'late' answered call \\d+ again, after its first answer; the answer is dropped")));

        PluginCrashedException e = assertThrows(PluginCrashedException.class, () -> greeter("stringly").greet("x"));
        assertTrue(e.getMessage().matches("plugin 'stringly': sent an answer with the string id \"\\d+\": the host's ids are whole "
                + "numbers, and an answer carries its request's id as it came: '\\{.*' \\(killed\\)"), e.getMessage());
    }

    @Test
    void aPinnedScriptRunsAndOneChangedBehindAtriumsBackIsNeverLaunchedAgain() throws Exception {
        Path script = folder.resolve("pinned.py");
        Files.writeString(script, """
                import os, sys
                sys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])
                from atrium_plugin import serve
                serve(name="pinned", version="1.0.0", contract="io.atrium.api.greeting.Greeter", methods={"greet": lambda who: "pinned " + who})
                """);
        String pin = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script)));
        String manifest = """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "pinned.py"],
                 "env": {"ATRIUM_SDK_PYTHON": "%s"}, "sha256": "%s"}""";
        manifest("pinned", manifest.formatted(SDK, pin));
        assertEquals("pinned x", greeter("pinned").greet("x"));

        // a wrong pin is refused at deploy, in one line
        manifest("mispinned", manifest.formatted(SDK, "0".repeat(64)));
        await(() -> "the wrong pin is refused: " + folder(atrium), () -> refused(atrium, "mispinned.plugin.json",
                "is refused: pinned.py has SHA-256 " + pin + ", but the manifest pins " + "0".repeat(64) + ": not launched"));
        manifest("badpin", manifest.formatted(SDK, "12"));
        await(() -> "a malformed pin is refused: " + folder(atrium), () -> refused(atrium, "badpin.plugin.json",
                "field 'sha256': '12' is not a SHA-256 (64 hex digits)"));

        // the script is changed in place: the reload it triggers is refused, the verified process serves on
        long pid = pid("pinned");
        Files.writeString(script, Files.readString(script) + "# changed\n");
        await("the changed script is refused", () -> logged("pinned.py has SHA-256"));
        assertEquals("pinned y", greeter("pinned").greet("y"));
        // and when that process dies, the changed script is not launched in its place
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        await("the plugin fails instead of restarting", () -> state("pinned") == PluginState.FAILED);
        assertTrue(registry().problems().stream().anyMatch(p -> p.plugin().equals("pinned")
                && p.reason().startsWith("pinned.py has SHA-256 ") && p.reason().endsWith("but the manifest pins " + pin + ": not launched")),
                registry().problems().toString());
    }

    @Test
    void pinnedFilesRunFromAPrivateCopyOfTheVerifiedBytes() throws Exception {
        // hashing a file and then running it by path leaves an instant for a swap: the copy that runs is the bytes hashed
        Path lib = folder.resolve("copiedlib.py");
        Files.writeString(lib, "WORD = 'from the pinned module'\n");
        Path script = folder.resolve("copied.py");
        Files.writeString(script, """
                import os, sys
                sys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])
                import copiedlib
                from atrium_plugin import serve
                serve(name="copied", version="1.0.0", contract="io.atrium.api.greeting.Greeter",
                      methods={"greet": lambda who: os.path.realpath(__file__) + "|" + copiedlib.WORD})
                """);
        String scriptPin = sha256(script);
        manifest("copied", """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "copied.py"],
                 "env": {"ATRIUM_SDK_PYTHON": "%s"}, "sha256": {"copied.py": "%s", "copiedlib.py": "%s"}}"""
                .formatted(SDK, scriptPin, sha256(lib)));
        String[] answer = greeter("copied").greet("x").split("\\|");
        assertEquals("from the pinned module", answer[1], "a pinned module beside the script is copied with it");
        Path running = Path.of(answer[0]);
        assertTrue(!running.startsWith(folder.toRealPath()), "the script runs from its copy, not from the plugin folder: " + running);
        assertEquals(scriptPin, sha256(running), "the copy holds the verified bytes");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(running.getParent())),
                "only the server's user can enter the copies' folder");
        assertEquals("r--------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(running)));
        String commandLine = String.join(" ", ProcessHandle.of(pid("copied")).orElseThrow().info().arguments().orElse(new String[0]));
        assertTrue(commandLine.contains(running.toString()), "the process was started on the copy: " + commandLine);
        // a pin may name a file of the folder, but nothing outside it
        manifest("escaping", """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "copied.py"],
                 "sha256": {"copied.py": "%s", "../elsewhere.py": "%s"}}""".formatted(scriptPin, scriptPin));
        await(() -> "a pin outside the folder is refused: " + folder(atrium), () -> refused(atrium, "escaping.plugin.json",
                "field 'sha256': '../elsewhere.py' is neither a file the command names [copied.py] nor a file in the plugin's folder"));
        // removed, the plugin's copies go with it
        Files.delete(folder.resolve("copied.plugin.json"));
        await("the copies are removed", () -> !Files.exists(running));
    }

    static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void aPluginThatStopsReadingItsStdinHoldsNoCallerPastItsDeadline() throws Exception {
        // after its first request it never reads again: its pipe fills, and a write to it would block for good
        raw("deaf", GOOD, "time.sleep(3600)", "\"limits\": {\"callTimeoutMs\": 1000}, \"restart\": {\"maxRestarts\": 100}");
        Greeter deaf = greeter("deaf");
        String big = "x".repeat(200_000); // more than a pipe holds (64 KiB), well under the frame limit
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Throwable>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(callers.submit(() -> {
                    try {
                        deaf.greet(big);
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                }));
            }
            for (var call : calls) {
                // each call's deadline is 1 s: one still waiting after 30 s is hung (before the fix, a writer blocked for good)
                Throwable failure = call.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(failure instanceof PluginTimeoutException || failure instanceof PluginCrashedException,
                        "each call fails typed, in time: " + failure);
            }
        } finally {
            callers.shutdownNow();
        }
        await("the plugin is killed for not reading", () -> logged("stopped reading its stdin: a request could not be written within its deadline"));
    }

    @Test
    void callsBeyondMaxInFlightAreRefusedAsOverloadedNotQueued() throws Exception {
        helperPlugin("slow", """
                open(".started-" + who, "w").close()
                while not os.path.exists(".release"):
                    time.sleep(0.01)
                return "done " + who""", "\"limits\": {\"maxInFlight\": 2, \"callTimeoutMs\": 20000}");
        Greeter slow = greeter("slow");
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = callers.submit(() -> slow.greet("a"));
            var b = callers.submit(() -> slow.greet("b"));
            await("two calls are in the plugin", () -> Files.exists(folder.resolve(".started-a")) && Files.exists(folder.resolve(".started-b")));
            for (int i = 0; i < 3; i++) {
                var refused = assertThrows(io.atrium.api.PluginUnavailableException.class, () -> slow.greet("c"));
                assertTrue(refused.getMessage().contains("is overloaded: 2 calls are in flight already (limits.maxInFlight); greet was not sent"),
                        refused.getMessage());
            }
            assertFalse(Files.exists(folder.resolve(".started-c")), "a refused call never reached the plugin");
            Files.writeString(folder.resolve(".release"), "");
            assertEquals("done a", a.get(30, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("done b", b.get(30, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("done c", slow.greet("c"), "with room again, calls go through");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aProcessPluginIsSpokenToOverItsOwnPipesOnly() throws Exception {
        helperPlugin("piped", "return 'piped'", "");
        assertEquals("piped", greeter("piped").greet("x"));
        long pid = pid("piped");
        // stdin, stdout and stderr are pipes: nothing in the file system another user could open
        for (int fd = 0; fd <= 2; fd++) {
            String target = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd))).toString();
            assertTrue(target.startsWith("pipe:["), "fd " + fd + " is " + target);
        }
        // and the plugin listens on no socket of its own
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (java.nio.file.NoSuchFileException closedMeanwhile) {
                    continue;
                }
                assertTrue(!target.startsWith("socket:"), fd + " is a socket");
            }
        }
    }

    @Test
    void execModeRunsTheExecutableOncePerCall() throws Exception {
        Files.writeString(folder.resolve("once.py"), """
                import json, os, sys
                req = json.loads(sys.stdin.readline())
                who = req["params"][0]
                if who == "crash":
                    sys.stderr.write("refusing to greet\\n")
                    sys.exit(4)
                if who == "hang":
                    import time; time.sleep(60)
                print(json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": "once %s from %d" % (who, os.getpid())}))
                """);
        manifest("once", """
                {"version": "2.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "once.py"], "mode": "exec",
                 "capabilities": ["greet"], "limits": {"callTimeoutMs": 5000}}""");
        Greeter g = greeter("once"); // (5 s: a Python start takes seconds on a loaded 2-core machine)
        String a = g.greet("a");
        String b = g.greet("b");
        assertTrue(a.startsWith("once a from "), a);
        assertNotEquals(a.substring(a.lastIndexOf(' ')), b.substring(b.lastIndexOf(' ')), "each call is a new process");
        PluginCrashedException c = assertThrows(PluginCrashedException.class, () -> g.greet("crash"));
        assertEquals("plugin 'once': exited with status 4 without an answer to greet; last stderr line: 'refusing to greet'", c.getMessage());
        PluginTimeoutException t = assertThrows(PluginTimeoutException.class, () -> g.greet("hang"));
        assertEquals("plugin 'once': greet did not answer within 5000 ms (the process was killed)", t.getMessage());
        assertTrue(atrium.execute("plugin:info once").output().contains("mode          exec"));
        await("processes wait for the next calls, spawned ahead", () -> atrium.execute("plugin:info once").output()
                .contains("\nwarm          2 of 2 processes spawned ahead\n"));
    }

    @Test
    void aPluginStartedByHandWithoutTheCookieSaysSoAndExits() throws Exception {
        Process p = new ProcessBuilder("python3", EXAMPLES.resolve("python-greeter/greeter.py").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.waitFor());
        assertEquals("python-greeter is an Atrium plugin: drop its manifest into an Atrium server's plugin folder; it is not meant to be run by hand.\n", out);
    }

    @Test
    void replacingTheScriptReloadsThePlugin() throws Exception {
        helperPlugin("evolving", "return 'v1'", "");
        assertEquals("v1", greeter("evolving").greet("x"));
        long pid = pid("evolving");
        Path script = folder.resolve("evolving.py");
        Path next = folder.resolve(".evolving.py");
        Files.writeString(next, Files.readString(script).replace("return 'v1'", "return 'v2'"));
        Files.move(next, script, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        await("the new script answers", () -> "v2".equals(atrium.service(Greeter.class, "evolving").map(g -> g.greet("x")).orElse("")));
        await("the old process exits", () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        assertEquals(new io.atrium.api.PluginFolder.File("evolving.py", "other", "", "ignored", -1, "used by evolving.plugin.json"),
                file(atrium, "evolving.py").orElse(null));
    }

    @Test
    void aJavaProgramServesTheSameContractThroughTheJavaHelper() throws Exception {
        Path ex = EXAMPLES.resolve("java-greeter");
        Files.copy(ex.resolve("JavaGreeter.java"), folder.resolve("JavaGreeter.java"));
        String classpath = System.getProperty("atrium.sdk.jar") + ":" + System.getProperty("atrium.api.jar");
        manifest("java-greeter", Files.readString(ex.resolve("java-greeter.plugin.json"))
                .replace("../sdk/java/io.atrium.plugin.sdk.jar:../lib/io.atrium.api.jar", classpath));
        Greeter g = atrium.awaitService(Greeter.class, "java-greeter", java.time.Duration.ofSeconds(30));
        assertEquals("Hello from a JVM of its own, World!", g.greet("World"));
        assertEquals("process", registry().plugin("java-greeter").orElseThrow().transportId());
    }

    @Test
    void thePluginGetsOnlyTheAllowListedEnvironment() throws Exception {
        helperPlugin("envy", "return ','.join(sorted(os.environ))", "\"env\": {\"ATRIUM_SDK_PYTHON\": \"" + SDK + "\", \"GREETING\": \"hi\"}");
        java.util.Set<String> seen = new java.util.TreeSet<>(List.of(greeter("envy").greet("x").split(",")));
        java.util.Set<String> allowed = java.util.Set.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
                "ATRIUM_PLUGIN_COOKIE", "ATRIUM_PROTOCOL_VERSIONS", "ATRIUM_PLUGIN_NAME", "ATRIUM_MAX_FRAME_BYTES", "ATRIUM_PLUGIN_MODE",
                "ATRIUM_PLUGIN_INSTANCE", "ATRIUM_SDK_PYTHON", "GREETING", "PYTHONDONTWRITEBYTECODE",
                "PWD", "SHLVL", "_"); // the last three are set by python3's launcher script (pyenv), not by the host
        seen.removeIf(k -> k.contains("PYENV")); // pyenv's shim exports its own
        assertTrue(allowed.containsAll(seen), "the host's other variables are not passed on: " + seen);
        assertTrue(seen.contains("GREETING") && seen.contains("ATRIUM_PLUGIN_COOKIE"), seen.toString());
        assertFalse(System.getenv().keySet().stream().filter(k -> !allowed.contains(k) && !k.contains("PYENV")).anyMatch(seen::contains));
    }

    @Test
    void theCpuCapKillsASpinningPlugin() throws Exception {
        helperPlugin("spinner", """
                while True:
                    pass""", "\"limits\": {\"cpuSeconds\": 1, \"callTimeoutMs\": 20000}");
        PluginCrashedException e = assertThrows(PluginCrashedException.class, () -> greeter("spinner").greet("x"));
        assertCrashedAtOnce(e, "spinner", "was killed by signal 24 (XCPU: CPU time limit reached)");
        await("the log says why it died", () -> logged("plugin 'spinner' was killed by signal 24 (XCPU: CPU time limit reached)"));
    }

    @Test
    void aChangedManifestReloadsThePluginAndARestartBringsItBack() throws Exception {
        helperPlugin("configured", "return host.config()['word']", "\"config\": {\"word\": \"one\"}");
        assertEquals("one", greeter("configured").greet("x"));
        long pid = pid("configured");
        String m = Files.readString(folder.resolve("configured.plugin.json"));
        manifest("configured", m.replace("\"one\"", "\"two\""));
        await("the new configuration is served", () -> "two".equals(atrium.service(Greeter.class, "configured").map(g -> g.greet("x")).orElse("")));
        await("the old process exits", () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));

        long last = pid("configured");
        atrium.stop();
        atrium = null;
        await("stopping the server stops its plugins", () -> ProcessHandle.of(last).map(h -> !h.isAlive()).orElse(true));
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        assertEquals("two", greeter("configured").greet("x"));
    }

    @Test
    void theGoExampleSpeaksTheProtocolWithTheStandardLibraryOnly() throws Exception {
        Process install = new ProcessBuilder("sh", EXAMPLES.resolve("install-go.sh").toString()).redirectErrorStream(true).start();
        install.getOutputStream().close();
        String installLog = new String(install.getInputStream().readAllBytes());
        assertTrue(install.waitFor(10, java.util.concurrent.TimeUnit.MINUTES), "install-go.sh did not end");
        assertEquals(0, install.exitValue(), "install-go.sh failed:\n" + installLog);
        Path src = Files.createDirectories(work.resolve("go/src/go-greeter"));
        Files.copy(EXAMPLES.resolve("go-greeter/main.go"), src.resolve("main.go"));
        ProcessBuilder pb = new ProcessBuilder("go", "build", "-o", folder.resolve("go-greeter").toString(), ".").directory(src.toFile())
                .redirectErrorStream(true);
        pb.environment().put("GO111MODULE", "off"); // one file, no module: offline
        Process build = pb.start();
        build.getOutputStream().close();
        String out = new String(build.getInputStream().readAllBytes());
        assertEquals(0, build.waitFor(), out);
        Files.copy(EXAMPLES.resolve("go-greeter/go-greeter.plugin.json"), folder.resolve("go-greeter.plugin.json"));
        assertEquals("Hello, Go!", greeter("go-greeter").greet("Go"));
    }
}
