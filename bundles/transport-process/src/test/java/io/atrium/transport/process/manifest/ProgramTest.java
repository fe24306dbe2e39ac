package io.atrium.transport.process.manifest;

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
