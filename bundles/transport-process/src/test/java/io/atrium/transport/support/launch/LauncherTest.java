package io.atrium.transport.support.launch;

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
     * The native launcher: a fork of it, then the plugin's exec, in a session of its own, under its caps,
     * and dead once the thread that started the launcher ends, with no orphan guard involved (it has no
     * watchdog here).
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
        ProcessHandle p = launcher.start(m, m.protocolEnv(launcher.pythonHelper())).process().toHandle();
        try {
            OrphanGuardTest.waiting("the plugin runs sleep").until(() -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false));
            String limits = Files.readString(Path.of("/proc", Long.toString(p.pid()), "limits"));
            assertTrue(limits.matches("(?s).*Max data size +67108864 +67108864 +bytes.*"), limits);
            assertTrue(limits.matches("(?s).*Max cpu time +5 +6 +seconds.*"), limits);
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            assertEquals(Long.toString(p.pid()), stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3], "a session of its own");
            long launcherPid = launcher.nativeLauncher().pid();
            assertEquals(launcherPid, p.parent().map(ProcessHandle::pid).orElse(-1L), "started by the launcher");
            assertEquals(ProcessHandle.current().pid(), ProcessHandle.of(launcherPid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L),
                    "the launcher started by the server itself");
        } finally {
            launcher.close(); // the spawner thread ends: the kernel kills what it started
        }
        OrphanGuardTest.waiting("the plugin is gone with the spawner thread").until(() -> OrphanGuardTest.gone(p.pid()));
    }

    @Test
    void theNativeLauncherSaysWhatIsWrongInOneLine() throws Exception {
        Path bin = dir.resolve("bin");
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("verified"), OrphanGuard.unguarded(), bin);
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        try {
            Process p = launcher.nativeLauncher().spawn(new ProcessBuilder("/nonexistent").directory(dir.toFile()), 0, 0);
            assertEquals("atrium-launch: cannot run /nonexistent: No such file or directory\n", new String(p.getErrorStream().readAllBytes()));
            assertEquals(127, p.waitFor());
            Process orphan = new ProcessBuilder(bin.resolve("atrium-launch").toString(), "1", dir.toString()).start();
            assertEquals(125, orphan.waitFor(), "its server (pid 1 here) is not its parent: gone, so nothing runs");
            IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                    () -> launcher.nativeLauncher().spawn(new ProcessBuilder("/bin/echo", "a\0b").directory(dir.toFile()), 0, 0));
            assertEquals("an argument or variable holds a NUL character: a?b", nul.getMessage());
        } finally {
            launcher.close();
        }
    }

    /**
     * The launcher is one process that stays: killed from outside, it takes the plugins it started with
     * it (reported as killed), and the next launch starts a new one.
     */
    @Test
    void aKilledLauncherTakesItsPluginsWithItAndTheNextLaunchStartsANewOne() throws Exception {
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("verified"), OrphanGuard.unguarded(), dir.resolve("bin"));
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        try {
            NativeLauncher served = launcher.nativeLauncher();
            Process sleeping = served.spawn(new ProcessBuilder("/bin/sleep", "600").directory(dir.toFile()), 0, 0);
            long first = served.pid();
            ProcessHandle.of(first).orElseThrow().destroyForcibly();
            assertEquals(137, sleeping.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS).exitValue(), "killed with its launcher");
            OrphanGuardTest.waiting("the plugin is gone with its launcher").until(() -> OrphanGuardTest.gone(sleeping.pid()));
            Process next = served.spawn(new ProcessBuilder("/bin/sh", "-c", "echo again").directory(dir.toFile()), 0, 0);
            assertEquals("again\n", new String(next.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(0, next.waitFor());
            assertTrue(served.pid() != first && served.pid() > 0, "a new launcher: " + first + " -> " + served.pid());
        } finally {
            launcher.close();
        }
    }

    /** A plugin's stdio are FIFOs in an owner-only folder, removed as soon as both sides have them open. */
    @Test
    void theFifosAreRemovedOnceOpenAndTheirFolderIsTheServersAlone() throws Exception {
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("verified"), OrphanGuard.unguarded(), dir.resolve("bin"));
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        Path folder;
        try {
            NativeLauncher served = launcher.nativeLauncher();
            Process cat = served.spawn(new ProcessBuilder("/bin/cat").directory(dir.toFile()), 0, 0);
            cat.getOutputStream().write("echoed\n".getBytes(StandardCharsets.UTF_8));
            cat.getOutputStream().flush();
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(cat.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("echoed", out.readLine()); // cat runs, on its FIFOs
            String stdin = Files.readSymbolicLink(Path.of("/proc", Long.toString(cat.pid()), "fd", "0")).toString();
            assertTrue(stdin.endsWith(" (deleted)"), "stdin is " + stdin);
            folder = Path.of(stdin.substring(0, stdin.length() - " (deleted)".length())).getParent();
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)), folder.toString());
            try (var left = Files.list(folder)) {
                assertEquals(java.util.List.of(), left.toList(), "no FIFO left in " + folder + " once both sides have it");
            }
            cat.getOutputStream().close(); // cat sees the end of its stdin: the launcher holds no end of it any longer
            assertEquals(null, out.readLine());
            assertEquals(0, cat.waitFor());
        } finally {
            launcher.close();
        }
        if (folder.startsWith("/dev/shm") || folder.startsWith(String.valueOf(System.getenv("XDG_RUNTIME_DIR")))) {
            assertTrue(!Files.exists(folder), "the shared folder is removed with the launcher: " + folder);
        }
    }
}
