package io.atrium.transport.support.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            Process orphan = new ProcessBuilder(bin.resolve("atrium-launch").toString(), "1").start();
            assertEquals(125, orphan.waitFor(), "its server (pid 1 here) is not its parent: gone, so nothing runs");
            IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                    () -> launcher.nativeLauncher().spawn(new ProcessBuilder("/bin/echo", "a\0b").directory(dir.toFile()), 0, 0));
            assertEquals("an argument or variable holds a NUL character: a?b", nul.getMessage());
            java.util.List<String> many = new java.util.ArrayList<>(java.util.List.of("/bin/true"));
            for (int i = 0; i < 70_000; i++) {
                many.add("x");
            }
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> launcher.nativeLauncher().spawn(new ProcessBuilder(many).directory(dir.toFile()), 0, 0));
            assertTrue(big.getMessage().startsWith("the command and environment are ") && big.getMessage().endsWith(" bytes: over the launcher's limits (65528 of them, 4 MiB)"), big.getMessage());
            long pid = launcher.nativeLauncher().pid();
            assertEquals(0, launcher.nativeLauncher().spawn(new ProcessBuilder("/bin/true").directory(dir.toFile()), 0, 0).waitFor());
            assertEquals(pid, launcher.nativeLauncher().pid(), "refused before it was sent: the launcher and its plugins live on");
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
            // a plugin runs as the server's user: one that put a program of its own in the launcher's place does not run it
            Path file = dir.resolve("bin").resolve("atrium-launch");
            byte[] original = Files.readAllBytes(file);
            Path other = dir.resolve("other");
            Files.writeString(other, "#!/bin/sh\necho replaced > " + dir.resolve("ran") + "\nexec sleep 600\n");
            Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rwx------"));
            Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            ProcessHandle.of(served.pid()).orElseThrow().destroyForcibly();
            OrphanGuardTest.waiting("the launcher is gone").until(() -> served.pid() == -1 || !ProcessHandle.of(served.pid()).map(ProcessHandle::isAlive).orElse(false));
            Process third = served.spawn(new ProcessBuilder("/bin/sh", "-c", "echo third").directory(dir.toFile()), 0, 0);
            assertEquals("third\n", new String(third.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertArrayEquals(original, Files.readAllBytes(file), "the launcher's file is written again before it is started");
            assertFalse(Files.exists(dir.resolve("ran")));
        } finally {
            launcher.close();
        }
    }

    /**
     * A plugin's stdio are pipes with no name anywhere (the server opens its ends through /proc), the
     * launcher keeps no end of them once the server has its own, and nothing is left in a shared folder.
     */
    @Test
    void thePluginsStdioArePipesWithNoNameThatTheLauncherLetsGo() throws Exception {
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("verified"), OrphanGuard.unguarded(), dir.resolve("bin"));
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        try {
            NativeLauncher served = launcher.nativeLauncher();
            Process cat = served.spawn(new ProcessBuilder("/bin/cat").directory(dir.toFile()), 0, 0);
            cat.getOutputStream().write("echoed\n".getBytes(StandardCharsets.UTF_8));
            cat.getOutputStream().flush();
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(cat.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("echoed", out.readLine()); // cat runs, on its pipes
            for (int fd = 0; fd < 3; fd++) {
                String link = Files.readSymbolicLink(Path.of("/proc", Long.toString(cat.pid()), "fd", Integer.toString(fd))).toString();
                assertTrue(link.startsWith("pipe:["), "fd " + fd + " is " + link);
            }
            try (var fds = Files.list(Path.of("/proc", Long.toString(served.pid()), "fd"))) {
                for (Path fd : fds.toList()) {
                    String link = Files.readSymbolicLink(fd).toString();
                    // its stdin and stdout (pipes to the server), its signalfd: no plugin's pipe
                    assertTrue(Integer.parseInt(fd.getFileName().toString()) <= 3, "the launcher still holds " + fd + " -> " + link);
                }
            }
            for (String base : new String[] {"/dev/shm", System.getenv("XDG_RUNTIME_DIR")}) {
                if (base != null && Files.isDirectory(Path.of(base))) {
                    try (var left = Files.newDirectoryStream(Path.of(base), "atrium-launch-" + ProcessHandle.current().pid() + "-*")) {
                        assertFalse(left.iterator().hasNext(), "a folder in " + base);
                    }
                }
            }
            cat.getOutputStream().close(); // cat sees the end of its stdin: the launcher holds no end of it
            assertEquals(null, out.readLine());
            assertEquals(0, cat.waitFor());
        } finally {
            launcher.close();
        }
    }

    /**
     * A plugin killed while a host thread is stuck writing to its stdin, which a process it left behind
     * holds and never reads: its exit is told without waiting for that writer, and every other launch goes on.
     */
    @Test
    void aWriterStuckOnAPluginsStdinHoldsUpNoOtherLaunch() throws Exception {
        Launcher launcher = new Launcher(java.util.Map.of(), dir.resolve("verified"), OrphanGuard.unguarded(), dir.resolve("bin"));
        assumeTrue(launcher.nativeLauncher() != null, "no native launcher for this system");
        long[] left = {-1};
        try {
            NativeLauncher served = launcher.nativeLauncher();
            Process plugin = served.spawn(new ProcessBuilder("/bin/sh", "-c",
                    "exec 3<&0; (setsid sleep 60 <&3 3<&- & echo $! >&2); exec sleep 600 3<&-").directory(dir.toFile()), 0, 0);
            left[0] = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(plugin.getErrorStream())).readLine().strip());
            Thread writer = new Thread(() -> {
                try {
                    plugin.getOutputStream().write(new byte[1 << 20]); // more than the pipe holds: stuck, as nobody reads
                    plugin.getOutputStream().flush();
                } catch (java.io.IOException expected) {
                    // the stream closed under it
                }
            });
            writer.setDaemon(true);
            writer.start();
            OrphanGuardTest.waiting("the writer is stuck").until(() -> writer.getState() == Thread.State.RUNNABLE || writer.getState() == Thread.State.BLOCKED);
            Thread.sleep(200);
            plugin.destroyForcibly();
            assertEquals(137, plugin.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS).exitValue());
            var next = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    Process echo = served.spawn(new ProcessBuilder("/bin/echo", "still launching").directory(dir.toFile()), 0, 0);
                    return new String(echo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return e.toString();
                }
            });
            assertEquals("still launching\n", next.get(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            if (left[0] > 0) {
                ProcessHandle.of(left[0]).ifPresent(ProcessHandle::destroyForcibly);
            }
            launcher.close();
        }
    }
}
