package io.atrium.transport.support.launch;

import io.atrium.transport.process.manifest.PluginManifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a command runs, and what requirePins then asks to be pinned: on real files of a plugin folder. */
class ProgramTest {
    @TempDir
    Path folder;
    private static final String PIN = "a".repeat(64);

    @BeforeEach
    void files() throws Exception {
        for (String f : List.of("greeter.py", "lib.py", "README", "greeter.js", "run.sh", "plugin.jar", "Main.java", "greeter.rb", "config.json")) {
            Files.writeString(folder.resolve(f), f);
        }
        Files.createDirectories(folder.resolve("pkg"));
        Files.writeString(folder.resolve("pkg/__main__.py"), "print('pkg')");
    }

    /** @return the manifest with this command, pinning these files */
    private PluginManifest manifest(String command, String env, String... pinned) {
        StringBuilder pins = new StringBuilder();
        for (String p : pinned) {
            pins.append(pins.isEmpty() ? "" : ",").append('"').append(p).append("\":\"").append(PIN).append('"');
        }
        String json = "{\"version\":\"1\",\"contract\":\"a.b.C\",\"command\":" + command + (env.isEmpty() ? "" : "," + env)
                + (pinned.length == 0 ? "" : ",\"sha256\":{" + pins + "}") + "}";
        return PluginManifest.parse(folder.resolve("demo.plugin.json"), json.getBytes(StandardCharsets.UTF_8));
    }

    private String unpinned(String command, String... pinned) {
        return Program.unpinned(manifest(command, "", pinned));
    }

    @Test
    void aPinOnAnyFileIsNotEnoughTheScriptTheCommandRunsMustBePinned() {
        assertEquals("runs greeter.py, which it does not pin", unpinned("[\"python3\",\"greeter.py\"]", "README"));
        assertNull(unpinned("[\"python3\",\"greeter.py\"]", "greeter.py"));
        assertNull(unpinned("[\"/usr/bin/python3\",\"-u\",\"-X\",\"importtime\",\"greeter.py\"]", "greeter.py", "lib.py"),
                "the interpreter is a system file; options and their values are no script");
        assertEquals("runs greeter.js, which it does not pin", unpinned("[\"node\",\"--max-old-space-size=64\",\"greeter.js\"]", "README"));
        assertEquals("runs run.sh, which it does not pin", unpinned("[\"bash\",\"-e\",\"run.sh\"]", "README"));
        assertEquals("runs plugin.jar, which it does not pin", unpinned("[\"java\",\"-Xmx64m\",\"-jar\",\"plugin.jar\"]", "README"));
        assertNull(unpinned("[\"java\",\"Main.java\"]", "Main.java"));
        assertEquals("runs greeter.rb, which it does not pin", unpinned("[\"ruby\",\"-w\",\"greeter.rb\"]", "README"));
        assertEquals("runs missing.py, which it does not pin", unpinned("[\"python3\",\"missing.py\"]", "README"));
        // the executable of the plugin itself, and every other file of the folder the command names
        assertEquals("runs run.sh, which it does not pin", unpinned("[\"./run.sh\"]", "README"));
        assertEquals("runs config.json, which it does not pin", unpinned("[\"python3\",\"greeter.py\",\"config.json\"]", "greeter.py"));
    }

    @Test
    void aCommandWhoseProgramIsNoFileItPinsIsRefused() {
        assertEquals("runs a module looked up by name (python3 -m pkg), not a file it pins",
                unpinned("[\"python3\",\"-m\",\"pkg\"]", "pkg/__main__.py"));
        assertEquals("runs a module looked up by name (python3 -m pkg), not a file it pins", unpinned("[\"python3\",\"-Bmpkg\"]", "README"));
        assertEquals("runs code given on its command line (python3 -c), not a file it pins",
                unpinned("[\"python3\",\"-c\",\"import greeter\"]", "greeter.py"));
        assertEquals("runs code given on its command line (sh -c), not a file it pins",
                unpinned("[\"sh\",\"-c\",\"python3 greeter.py\"]", "greeter.py"));
        assertEquals("runs code given on its command line (node -e), not a file it pins", unpinned("[\"node\",\"-e\",\"1\"]", "greeter.js"));
        assertEquals("runs node with --require, which loads code before the script that no pin covers",
                unpinned("[\"node\",\"--require\",\"x\",\"greeter.js\"]", "greeter.js"));
        assertEquals("runs python3 on a script read from stdin (-), not a file it pins", unpinned("[\"python3\",\"-\"]", "README"));
        assertEquals("runs bash without a script (it would read one from stdin)", unpinned("[\"bash\"]", "README"));
        assertEquals("runs the class Main looked up on its class path, not a file it pins (use -jar with a pinned jar)",
                unpinned("[\"java\",\"-cp\",\".\",\"Main\"]", "plugin.jar"));
        assertEquals("runs java with -javaagent, which loads code no pin covers",
                unpinned("[\"java\",\"-javaagent:agent.jar\",\"-jar\",\"plugin.jar\"]", "plugin.jar"));
        assertEquals("runs perl with the option -Ilib, which Atrium does not judge", unpinned("[\"perl\",\"-Ilib\",\"x.pl\"]", "README"));
        assertEquals("runs awk from the PATH, which is neither a file of the plugin nor an interpreter Atrium knows (name the program "
                + "by its path and pin it)", unpinned("[\"awk\",\"-f\",\"x.awk\"]", "README"));
        assertEquals("runs env from the PATH, which is neither a file of the plugin nor an interpreter Atrium knows (name the program "
                + "by its path and pin it)", unpinned("[\"env\",\"python3\",\"greeter.py\"]", "greeter.py"));
    }

    @Test
    void variablesThroughWhichAnInterpreterLoadsOtherCodeAreRefused() {
        assertEquals("sets PYTHONPATH (field env), through which an interpreter or the dynamic linker loads code no pin covers",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"PYTHONPATH\":\".\"}", "greeter.py")));
        assertEquals("sets PYTHONPYCACHEPREFIX (field env), through which an interpreter or the dynamic linker loads code no pin covers",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"PYTHONPYCACHEPREFIX\":\"/tmp/x\"}", "greeter.py")));
        assertEquals("sets PATH (field env), whose relative entries find programs in the working directory, which no pin covers",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"PATH\":\"bin:/usr/bin\"}", "greeter.py")));
        assertEquals("inherits LD_PRELOAD (field inheritEnv), through which an interpreter or the dynamic linker loads code no pin covers",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"inheritEnv\":[\"LD_PRELOAD\"]", "greeter.py")));
        assertNull(Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"GREETING\":\"hi\",\"PATH\":\"/usr/bin\"}", "greeter.py")));
        // python3 (or /usr/bin/env, or a pinned script) is found by the manifest's PATH: an entry in the plugin folder, or one anyone may write, runs what no pin covers
        assertEquals("sets PATH (field env), whose entry " + folder.resolve("bin") + " is in the plugin folder, where it finds programs no pin covers",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"PATH\":\"" + folder.resolve("bin") + ":/usr/bin\"}",
                        "greeter.py")));
        assertEquals("sets PATH (field env), whose entry /tmp others may write, so a program found there runs unpinned",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"PATH\":\"/usr/bin:/tmp\"}", "greeter.py")));
    }

    @Test
    void optionsThatLoadCodeFromElsewhereThanThePinnedFilesAreRefused() {
        // Python reads bytecode from the prefix (relative: the plugin folder), -B or not: an unchecked .pyc there replaced a pinned module
        assertEquals("runs python3 with -X pycache_prefix, which reads bytecode no pin covers",
                unpinned("[\"python3\",\"-X\",\"pycache_prefix=cache\",\"greeter.py\"]", "greeter.py", "lib.py"));
        assertEquals("runs python3 with -X pycache_prefix, which reads bytecode no pin covers",
                unpinned("[\"python3\",\"-Xpycache_prefix=cache\",\"greeter.py\"]", "greeter.py"));
        // an OpenSSL configuration loads providers and engines: native code
        assertEquals("runs node with --openssl-config, which loads code before the script that no pin covers",
                unpinned("[\"node\",\"--openssl-config=ssl.cnf\",\"greeter.js\"]", "greeter.js"));
        assertEquals("runs node with --snapshot-blob, which loads code before the script that no pin covers",
                unpinned("[\"node\",\"--snapshot-blob=app.blob\",\"greeter.js\"]", "greeter.js"));
        // the inspector lets whoever reaches its port run code in the plugin
        assertEquals("runs node with --inspect, through which whoever reaches its port runs code no pin covers",
                unpinned("[\"node\",\"--inspect=9229\",\"greeter.js\"]", "greeter.js"));
        // node takes "--max-http-header-size 1000 later.js" as an option, its value and the script: Atrium must not take 1000 for the script
        assertEquals("runs node with the option --max-http-header-size, which Atrium does not judge (give an option's value after '=')",
                unpinned("[\"node\",\"--max-http-header-size\",\"README\",\"later.js\"]", "README"));
        assertNull(unpinned("[\"node\",\"--max-http-header-size=1000\",\"--enable-source-maps\",\"--no-warnings\",\"greeter.js\"]", "greeter.js"));
        // HotSpot reads options (an agent) from a file, or runs a command
        assertEquals("runs java with -XX:VMOptionsFile, which loads code no pin covers",
                unpinned("[\"java\",\"-XX:VMOptionsFile=opts.txt\",\"-jar\",\"plugin.jar\"]", "plugin.jar"));
        assertEquals("runs java with -XX:Flags, which loads code no pin covers",
                unpinned("[\"java\",\"-XX:Flags=.hotspotrc\",\"-jar\",\"plugin.jar\"]", "plugin.jar"));
        assertEquals("runs java with -XX:OnOutOfMemoryError, which loads code no pin covers",
                unpinned("[\"java\",\"-XX:OnOutOfMemoryError=sh x.sh\",\"-jar\",\"plugin.jar\"]", "plugin.jar"));
        assertNull(unpinned("[\"java\",\"-XX:+UseSerialGC\",\"-Xmx64m\",\"-jar\",\"plugin.jar\"]", "plugin.jar"));
    }

    @Test
    void moreVariablesThroughWhichCodeIsLoadedAreRefused() {
        // Python's user site under HOME runs every .pth in it at start: HOME pointed at the plugin folder ran unpinned code
        assertEquals("sets HOME (field env), under which Python and Node look for packages no pin covers",
                Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"HOME\":\".\"}", "greeter.py")));
        for (String name : List.of("OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES", "RUBYGEMS_GEMDEPS", "GEM_PATH", "GEM_HOME")) {
            assertEquals("sets " + name + " (field env), through which an interpreter or the dynamic linker loads code no pin covers",
                    Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"env\":{\"" + name + "\":\"x\"}", "greeter.py")));
        }
        assertNull(Program.unpinned(manifest("[\"python3\",\"greeter.py\"]", "\"inheritEnv\":[\"HOME\"]", "greeter.py")),
                "the server's own HOME is passed anyway: its packages are trusted as the interpreter is");
    }

    @Test
    void anInterpreterByPathIsTrustedOnlyWhereOnlyItsOwnerOrRootCanChangeIt(@TempDir Path elsewhere) throws Exception {
        // /tmp/python3: anyone on the machine could have put it there, and it ran as a trusted system file with only the script pinned
        Path open = Files.createDirectories(elsewhere.resolve("open"));
        Path python = Files.writeString(open.resolve("python3"), "#!/bin/sh\necho unpinned\n");
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals("runs " + python + ", which it does not pin", unpinned("[\"" + python + "\",\"greeter.py\"]", "greeter.py"));
        assertNull(unpinned("[\"" + python + "\",\"greeter.py\"]", "greeter.py", python.toString()), "pinned, it may run");
        assertNull(unpinned("[\"/usr/bin/python3\",\"greeter.py\"]", "greeter.py"), "a system file");
    }

    @Test
    void pythonIsToldApartFromOtherInterpreters() {
        assertEquals("python", Program.family("python3.11"));
        assertEquals("python", Program.family("python3"));
        assertEquals("shell", Program.family("bash"));
        assertNull(Program.family("pythonista"));
        assertEquals(true, Program.of(manifest("[\"/usr/bin/python3\",\"greeter.py\"]", "", "greeter.py")).python());
        assertEquals(false, Program.of(manifest("[\"./run.sh\"]", "", "run.sh")).python(), "a script of the plugin, whatever its #! line");
    }

}
