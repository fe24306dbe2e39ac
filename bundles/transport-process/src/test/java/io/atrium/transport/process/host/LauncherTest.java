package io.atrium.transport.process.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.transport.process.manifest.PluginManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
    @TempDir
    Path dir;

    @Test
    void aNameIsLookedUpOnlyInTheAbsoluteEntriesOfThePath() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path tool = Files.writeString(bin.resolve("atrium-test-tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwx------"));
        PluginManifest m = PluginManifest.parse(dir.resolve("plugins/demo.plugin.json"),
                "{\"version\":\"1\",\"contract\":\"a.b.C\",\"command\":[\"atrium-test-tool\"]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(tool, Launcher.executable(m, "/nonexistent:" + bin));
        // the same folder named relative to this JVM's working directory: the plugin's working directory would resolve it elsewhere
        String relative = Path.of("").toAbsolutePath().relativize(bin).toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Launcher.executable(m, relative + "::."));
        assertEquals("command 'atrium-test-tool' is not on the PATH (" + relative + "::.)", e.getMessage());
    }

    /**
     * The native launcher: one exec, then the plugin, in a session of its own, under its caps, and dead
     * once the thread that launched it ends, with no orphan guard involved (it has no watchdog here).
     */
    @Test
    void aNativeLaunchSetsTheCapsAndASessionAndThePluginEndsWithTheSpawnerThread() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path script = Files.writeString(plugins.resolve("wait.sh"), "#!/bin/sh\nexec sleep 600\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        PluginManifest m = PluginManifest.parse(plugins.resolve("demo.plugin.json"), """
                {"version": "1", "contract": "a.b.C", "command": ["./wait.sh"], "limits": {"memoryMb": 64, "cpuSeconds": 5}}"""
                .getBytes(StandardCharsets.UTF_8));
        OrphanGuard none = OrphanGuard.unguarded();
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("data/verified"), none, dir.resolve("data/bin"));
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        ProcessHandle p = launcher.start(m).process().toHandle();
        try {
            OrphanGuardTest.waiting("the plugin runs sleep").until(() -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false));
            String limits = Files.readString(Path.of("/proc", Long.toString(p.pid()), "limits"));
            assertTrue(limits.matches("(?s).*Max data size +67108864 +67108864 +bytes.*"), limits);
            assertTrue(limits.matches("(?s).*Max cpu time +5 +6 +seconds.*"), limits);
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            assertEquals(Long.toString(p.pid()), stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3], "a session of its own");
            assertEquals(ProcessHandle.current().pid(), p.parent().map(ProcessHandle::pid).orElse(-1L), "started by the server itself");
        } finally {
            launcher.close(); // the spawner thread ends: the kernel kills what it started
        }
        OrphanGuardTest.waiting("the plugin is gone with the spawner thread").until(() -> ExecRunnerTest.gone(p.pid()));
    }

    @Test
    void theNativeLauncherSaysWhatIsWrongInOneLine() throws Exception {
        Path bin = dir.resolve("bin");
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("verified"), OrphanGuard.unguarded(), bin);
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        try {
            Process p = new ProcessBuilder(bin.resolve("atrium-launch").toString(), Long.toString(ProcessHandle.current().pid()), "--", "/nonexistent")
                    .redirectErrorStream(true).start();
            assertEquals("atrium-launch: cannot run /nonexistent: No such file or directory\n", new String(p.getInputStream().readAllBytes()));
            assertEquals(127, p.waitFor());
            Process orphan = new ProcessBuilder(bin.resolve("atrium-launch").toString(), "1", "--", "/bin/true").start();
            assertEquals(125, orphan.waitFor(), "its server (pid 1 here) is not its parent: gone, so nothing runs");
        } finally {
            launcher.close();
        }
    }
}
