package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distribution's bin/atrium, run as a user runs it: real processes, real folders, a real socket. */
class LauncherIT {
    @TempDir
    Path work;

    record Run(int status, String out, String err) {
    }

    private Run atrium(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TestPlugins.dist().resolve("bin/atrium").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/atrium did not end");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void commandPrintsTheTableAndExitsZero() throws Exception {
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        Run r = atrium("--data", Files.createDirectories(work.resolve("data")).toString(), "--plugins", plugins.toString(),
                "--command", "plugin:list", "--command", "plugin:call english greet World");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("NAME "), r.out());
        assertTrue(r.out().contains("english") && r.out().contains("uzbek"), r.out());
        assertTrue(r.out().endsWith("Hello, World!\n"), r.out());
    }

    @Test
    void theClassDataArchiveIsMadeByAFullTrainingStartWhateverRunComesFirst() throws Exception {
        // A copy of the distribution without an archive, first run a short one (--help): the archive
        // must still hold a whole start's classes, not only those of the short run (it once did: 220 KB).
        Path home = work.resolve("home");
        for (String dir : List.of("bin", "lib")) {
            Files.createDirectories(home.resolve(dir));
            try (var files = Files.list(TestPlugins.dist().resolve(dir))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (!f.getFileName().toString().startsWith("atrium.jsa")) {
                        Files.copy(f, home.resolve(dir).resolve(f.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
        Process p = new ProcessBuilder(home.resolve("bin/atrium").toString(), "--help").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("--data"), out);
        Path archive = home.resolve("lib/atrium.jsa");
        assertTrue(Files.isRegularFile(archive), "no archive after the first run");
        assertTrue(Files.size(archive) > 4 << 20, "archive of " + Files.size(archive) + " bytes: not a whole start's classes");
        try (var left = Files.list(home.resolve("lib"))) {
            assertEquals(List.of(), left.map(f -> f.getFileName().toString()).filter(n -> n.matches("atrium\\.jsa\\.\\d+")).toList(),
                    "training left a temporary archive behind");
        }
    }

    @Test
    void unknownCommandFailsWithOneLine() throws Exception {
        Run r = atrium("--data", Files.createDirectories(work.resolve("data")).toString(), "--command", "plugin:nope");
        assertEquals(1, r.status());
        assertEquals("Error: unknown command 'plugin:nope' (try 'help')\n", r.out());
    }

    @Test
    void missingOrUnusableDataFolderIsAClearError() throws Exception {
        Path missing = work.resolve("missing");
        Run r = atrium("--data", missing.toString(), "--command", "plugin:list");
        assertEquals(2, r.status());
        assertEquals("atrium: data folder " + missing + " does not exist\n", r.err());

        Path file = Files.writeString(work.resolve("file"), "");
        r = atrium("--data", file.toString(), "--command", "plugin:list");
        assertEquals(2, r.status());
        assertEquals("atrium: data folder " + file + " is not a folder\n", r.err());

        r = atrium("--bogus");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("atrium: unknown argument '--bogus'\nusage:"), r.err());
    }

    @Test
    void clientTalksToTheRunningServerOverAnOwnerOnlySocket() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Path plugins = TestPlugins.distributionPlugins(work.resolve("plugins"));
        Path log = work.resolve("server.log");
        Process server = new ProcessBuilder(TestPlugins.dist().resolve("bin/atrium").toString(),
                "--data", data.toString(), "--plugins", plugins.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path socket = data.resolve("run/atrium.sock");
            DeployIT.await(() -> "the socket is there; server log: " + read(log), Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
                assertTrue(server.isAlive(), () -> "server died: " + read(log));
                return Files.exists(socket);
            });
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

            Run list = atrium("--data", data.toString(), "client", "plugin:list");
            assertEquals(0, list.status(), list.err());
            assertTrue(list.out().contains("english") && list.out().contains("uzbek"), list.out());
            Run call = atrium("--data", data.toString(), "client", "plugin:call", "uzbek", "greet", "Dunyo");
            assertEquals("Salom, Dunyo!\n", call.out());
            Run bad = atrium("--data", data.toString(), "client", "plugin:call", "nobody", "greet", "x");
            assertEquals(1, bad.status());
            assertEquals("Error: unknown plugin 'nobody' (known: english, python-greeter, uzbek)\n", bad.out());
            // the distribution's process plugin: a Python script answering through the same shell
            long deadline = System.nanoTime() + 20_000_000_000L;
            Run py;
            do {
                py = atrium("--data", data.toString(), "client", "plugin:call", "python-greeter", "greet", "Dunyo");
            } while (py.status() != 0 && System.nanoTime() < deadline);
            assertEquals("Hello, Dunyo!\n", py.out(), py.err());

            Run second = atrium("--data", data.toString(), "--command", "plugin:list");
            assertEquals(2, second.status());
            assertTrue(second.err().contains("another Atrium server is running on data folder"), second.err());

            assertTrue(read(log).contains("Atrium is running"), read(log));
        } finally {
            server.destroy(); // SIGTERM
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server did not stop on SIGTERM");
        }
        assertEquals(0, server.exitValue(), "clean shutdown exits 0: " + read(log));
        assertTrue(Files.notExists(data.resolve("run/atrium.sock")), "socket removed on shutdown");
    }

    @Test
    void onATerminalItIsAnInteractiveShellAndCtrlDStopsIt() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        // util-linux's script gives bin/atrium a pseudo-terminal, as a person's terminal would
        Process p = new ProcessBuilder("script", "-qfec", TestPlugins.dist().resolve("bin/atrium") + " --data " + data
                + " --plugins " + plugins, "/dev/null").redirectErrorStream(true).start();
        StringBuilder screen = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (var in = p.getInputStream()) {
                for (int c; (c = in.read()) >= 0; ) {
                    synchronized (screen) {
                        screen.append((char) c);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        try (var keys = p.getOutputStream()) {
            DeployIT.await("the console prompts", () -> text(screen).contains("installed io.atrium.sample.uzbek.jar"));
            Thread.sleep(300);
            keys.write("plugin:call uzbek greet Terminal\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            DeployIT.await(() -> "the console answers: " + text(screen), () -> text(screen).contains("Salom, Terminal!"));
            keys.write(4); // Ctrl-D
            keys.flush();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "Ctrl-D stops the server: " + text(screen));
        } finally {
            p.destroyForcibly();
        }
        reader.join(5_000);
        assertEquals(0, p.exitValue(), text(screen));
        assertTrue(text(screen).contains("gosh: stopping framework"), text(screen));
    }

    private static String text(StringBuilder screen) {
        synchronized (screen) {
            return screen.toString();
        }
    }

    @Test
    void clientWithoutServerSaysSoAtOnce() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Run r = atrium("--data", data.toString(), "client", "plugin:list");
        assertNotEquals(0, r.status());
        assertEquals("atrium: no Atrium server is running on data folder " + data + " (no " + data.resolve("run/atrium.sock") + ")\n", r.err());

        // a socket file left behind by a killed server: refused, not a hang
        Path run = Files.createDirectories(data.resolve("run"));
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(run.resolve("atrium.sock")));
        }
        r = atrium("--data", data.toString(), "client", "plugin:list");
        assertNotEquals(0, r.status());
        assertEquals("atrium: no Atrium server is running on data folder " + data + " (its socket refuses connections)\n", r.err());
    }

    /** A server started as a user starts it, whose output goes to a log; waits until its control socket is up. */
    private Process serve(Path data, Path plugins, Path log, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask 000 && exec \"$0\" \"$@\"", // the laxest umask an operator may have
                TestPlugins.dist().resolve("bin/atrium").toString(), "--data", data.toString(), "--plugins", plugins.toString()));
        cmd.addAll(List.of(more));
        Process server = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path socket = data.resolve("run/atrium.sock");
        for (int i = 0; i < 600 && !Files.exists(socket) && server.isAlive(); i++) {
            Thread.sleep(50);
        }
        return server;
    }

    /** The same command run as another user (nobody), which root can do here; empty when this user cannot switch. */
    private java.util.Optional<Run> asNobody(String... args) throws Exception {
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            return java.util.Optional.empty();
        }
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "env", "ATRIUM_NO_CDS=1", TestPlugins.dist().toAbsolutePath().resolve("bin/atrium").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(new java.io.File("/")).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/atrium did not end");
        return java.util.Optional.of(new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8)));
    }

    @Test
    void secretsAtRestAreTheServerUsersAloneWhateverTheUmask() throws Exception {
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x")); // others may reach the data folder, not list
        Path data = Files.createDirectories(work.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x")); // made by an operator with umask 022
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        Files.writeString(plugins.resolve("io.atrium.web.cfg"), "token = a-token-nobody-else-may-read\n");
        Files.writeString(plugins.resolve("io.atrium.trust.cfg"), "trustStorePassword = a-password-nobody-else-may-read\n");
        Path log = work.resolve("server.log");
        Process server = serve(data, plugins, log, "--http", "127.0.0.1:0");
        try {
            Run token = atrium("--data", data.toString(), "client", "web:token");
            assertEquals("a-token-nobody-else-may-read\n", token.out(), () -> token.err() + read(log));
            // another local user: told the socket is not theirs, not that no server runs
            java.util.Optional<Run> other = asNobody("--data", data.toString(), "client", "plugin:stop", "english");
            other.ifPresent(r -> {
                assertEquals(2, r.status(), r.out());
                assertEquals("atrium: permission denied: only the user the server runs as may use its control socket "
                        + data.resolve("run/atrium.sock") + " (it belongs to root); run 'atrium client' as that user\n", r.err());
            });
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server did not stop on SIGTERM");
        }
        assertEquals(0, server.exitValue(), () -> read(log));
        List<String> open = new ArrayList<>();
        int[] secrets = {0};
        try (var all = Files.walk(data)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
                if (!mode.endsWith("------") || (Files.isDirectory(p) && !mode.equals("rwx------"))) {
                    open.add(mode + " " + data.relativize(p));
                }
                if (Files.isRegularFile(p) && Files.size(p) < 1 << 20 && new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)
                        .contains("a-token-nobody-else-may-read")) {
                    secrets[0]++;
                }
            }
        }
        assertTrue(secrets[0] > 0, "the token is persisted somewhere under the data folder (else this test proves nothing)");
        assertEquals(List.of(), open, "files or folders under the data folder that others may read");
    }

    @Test
    void anHttpAddressThatCannotBeHadIsFatalInOneLine() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        Path log = work.resolve("server.log");
        try (java.net.ServerSocket squatter = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = squatter.getLocalPort();
            Process server = serve(data, plugins, log, "--http", "127.0.0.1:" + port);
            try {
                assertTrue(server.waitFor(60, TimeUnit.SECONDS), () -> "the server runs without its HTTP server: " + read(log));
            } finally {
                server.destroyForcibly();
            }
            String err = read(log);
            assertEquals(2, server.exitValue(), err);
            assertEquals("atrium: cannot serve HTTP on 127.0.0.1:" + port + ": Address already in use; another process listens there"
                    + " (choose another address with --http HOST:PORT, or --http off)", err.lines().reduce((a, b) -> b).orElse(""), err);
            assertTrue(err.lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + err);
            assertTrue(!err.contains("Atrium is running"), "refused before anything started: " + err);
        }
    }

    @Test
    void aProcessOnTheOtherLoopbackAddressOfThePortIsFatalToo() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        java.net.ServerSocket squatter = new java.net.ServerSocket();
        try {
            squatter.bind(new java.net.InetSocketAddress("::1", 0));
        } catch (java.io.IOException e) {
            squatter.close();
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e);
        }
        try (squatter) {
            int port = squatter.getLocalPort();
            Path log = work.resolve("server.log");
            Process server = serve(data, TestPlugins.samplePlugins(work.resolve("plugins")), log, "--http", "127.0.0.1:" + port);
            try {
                assertTrue(server.waitFor(60, TimeUnit.SECONDS), () -> "the server runs beside a squatter on [::1]: " + read(log));
            } finally {
                server.destroyForcibly();
            }
            assertEquals(2, server.exitValue(), () -> read(log));
            assertTrue(read(log).contains("atrium: cannot serve HTTP on 127.0.0.1:" + port + ": another process listens on [::1]:" + port
                    + ", where a browser may go for localhost"), () -> read(log));
        }
    }

    @Test
    void aDataFolderOfAnotherUserIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give a folder away");
        Path data = Files.createDirectories(work.resolve("data"));
        Process chown = new ProcessBuilder("chown", "65534:65534", data.toString()).inheritIO().start();
        assertEquals(0, chown.waitFor());
        Run r = atrium("--data", data.toString(), "--command", "plugin:list");
        assertEquals(2, r.status(), r.out());
        assertTrue(r.err().startsWith("atrium: data folder " + data + " belongs to nobody, not to the user who runs the server (root)"), r.err());
        try (var left = Files.list(data)) {
            assertEquals(0, left.count(), "nothing was written into it");
        }
    }

    @Test
    void servingHttpBeyondLoopbackIsWarnedAbout() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Run r = atrium("--data", data.toString(), "--http", "0.0.0.0:0", "--command", "plugin:list");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("WARNING io.atrium.runtime: HTTP is served on 0.0.0.0:0, which other machines may reach: "
                + "whoever reaches it reads /api and /metrics (POSTs need the token)"), r.err());
        Run local = atrium("--data", data.toString(), "--http", "127.0.0.1:0", "--command", "plugin:list");
        assertTrue(!local.err().contains("HTTP is served on"), local.err());
    }

    @Test
    void anHttpPortTakenWhileTheServerStartsIsFatalToo() throws Exception {
        // The port is free when the server looks, and taken (by a plugin here; by any local process in
        // life) before the HTTP server binds it, after the plugins have started.
        Path data = Files.createDirectories(work.resolve("data"));
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        Files.copy(TestPlugins.bundle(work, "test.squatter", "1.0.0", java.util.Map.of("test.squatter.Activator", """
                package test.squatter;
                public class Activator implements org.osgi.framework.BundleActivator {
                    private java.net.ServerSocket held;
                    public void start(org.osgi.framework.BundleContext c) throws Exception {
                        held = new java.net.ServerSocket(%d, 50, java.net.InetAddress.getByName("127.0.0.1"));
                    }
                    public void stop(org.osgi.framework.BundleContext c) throws Exception {
                        held.close();
                    }
                }""".formatted(port)), java.util.Map.of("Bundle-Activator", "test.squatter.Activator")), plugins.resolve("squatter.jar"));
        Path log = work.resolve("server.log");
        Process server = serve(data, plugins, log, "--http", "127.0.0.1:" + port);
        try {
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), () -> "the server runs without its HTTP server: " + read(log));
        } finally {
            server.destroyForcibly();
        }
        assertEquals(2, server.exitValue(), () -> read(log));
        assertTrue(read(log).contains("atrium: cannot serve HTTP on 127.0.0.1:" + port + ": Address already in use; another process listens there"),
                () -> read(log));
        assertTrue(read(log).lines().noneMatch(l -> l.startsWith("\tat ")), () -> "one line, no stack trace: " + read(log));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
