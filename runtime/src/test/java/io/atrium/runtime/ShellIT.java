package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin: commands, driven through the real Gogo command processor of a real server. */
class ShellIT {
    @TempDir
    static Path work;
    static Atrium atrium;

    @BeforeAll
    static void start() throws Exception {
        atrium = TestPlugins.builder().dataDir(work.resolve("data"))
                .pluginDir(TestPlugins.samplePlugins(work.resolve("plugins"))).start();
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
        assertOneLineError(atrium.execute("plugin:call nope greet x"), "Error: unknown plugin 'nope' (known: english, uzbek)");
        assertOneLineError(atrium.execute("plugin:call english shout x"), "Error: plugin 'english' has no method 'shout' (its contract Greeter has: greet)");
        assertOneLineError(atrium.execute("plugin:call english greet"), "Error: plugin 'english' method 'greet' takes 1 argument(s), 0 given");
        assertOneLineError(atrium.execute("plugin:info ghost"), "Error: unknown plugin 'ghost' (known: english, uzbek)");
        assertOneLineError(atrium.execute("plugin:frobnicate"), "Error: unknown command 'plugin:frobnicate' (try 'help')");
    }

    private static void assertOneLineError(CommandResult r, String expected) {
        assertEquals(1, r.status(), r.output());
        assertEquals(expected + "\n", r.output());
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
