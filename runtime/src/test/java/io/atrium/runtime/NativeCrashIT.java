package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source documents' task 9 for a native library in the server's JVM: a fault in its code ends the real
 * server (a child process here, the distribution's bin/atrium), the JVM's fatal error report names the
 * library, and the next start names the plugin that was being called and quarantines it: no crash loop.
 */
class NativeCrashIT {
    @TempDir
    Path work;

    record Run(int status, String out) {
    }

    Run client(Path data, String command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TestPlugins.dist().resolve("bin/atrium").toString(), "--data", data.toString(), "client"));
        cmd.addAll(List.of(command.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/atrium client did not end");
        return new Run(p.exitValue(), out);
    }

    /** The server, with no core dump (a JVM's would be large) and its fatal error report in the work folder. */
    Process server(Path data, Path plugins, Path log) throws IOException {
        return new ProcessBuilder("sh", "-c", "ulimit -c 0; exec \"$0\" \"$@\"", TestPlugins.dist().resolve("bin/atrium").toString(),
                "--data", data.toString(), "--plugins", plugins.toString(), "--http", "off")
                .directory(work.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    void awaitAnswer(Path data, String command, String answer, Process server, Path log) {
        DeployIT.await(() -> command + " answers " + answer + "; server log:\n" + read(log), Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
            assertTrue(server.isAlive(), () -> "the server died: " + read(log));
            try {
                return client(data, command).out().equals(answer);
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aFaultInALibraryInTheServersJvmEndsTheServerAndTheNextStartQuarantinesIt() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "needs Debian's gcc to build the test library");
        Path data = Files.createDirectories(work.resolve("data"));
        Path plugins = Files.createDirectories(work.resolve("plugins"));
        Path build = Files.createDirectories(work.resolve("build"));
        Files.writeString(build.resolve("crashy.c"), """
                #include "atrium_plugin.h"
                static char *greet(const char *what) {
                    if (strcmp(what, "crash") == 0) {
                        *(volatile int *) 0 = 1; /* the null dereference of the documents' task 9 */
                    }
                    return atrium_format("%s: %s", VERSION, what);
                }
                ATRIUM_PLUGIN("io.atrium.api.greeting.Greeter", "1.0.0", ATRIUM_STRING_FUNCTION("greet", greet));
                """);
        for (String v : new String[] {"v1", "v2"}) {
            Process cc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O0", "-DVERSION=\"" + v + "\"", "-I" + NativePluginIT.SDK, "-o",
                    build.resolve("libcrashy-" + v + ".so").toString(), build.resolve("crashy.c").toString()).redirectErrorStream(true).start();
            String said = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, cc.waitFor(), said);
        }
        Files.copy(build.resolve("libcrashy-v1.so"), plugins.resolve("libcrashy.so"));
        Files.writeString(plugins.resolve("crashy.native.json"), NativePluginIT.MANIFEST.formatted("libcrashy.so", ""));
        Path log = work.resolve("server.log");

        Process first = server(data, plugins, log);
        try {
            awaitAnswer(data, "plugin:call crashy greet ok", "v1: ok\n", first, log);
            client(data, "plugin:call crashy greet crash");
            assertTrue(first.waitFor(60, TimeUnit.SECONDS), "the server still runs after the fault: " + read(log));
        } finally {
            first.destroyForcibly();
        }
        String died = read(log);
        assertEquals(134, first.exitValue(), "the JVM aborts after its fatal error report: " + died);
        assertTrue(died.contains("SIGSEGV") && died.lines().anyMatch(l -> l.matches("# C  \\[crashy-[0-9a-f]{12}-\\d+\\.so\\+0x[0-9a-f]+\\].*")),
                "the report's problematic frame names the plugin's library: " + died);

        Files.writeString(log, "");
        Process second = server(data, plugins, log);
        try {
            DeployIT.await(() -> "the plugin is quarantined at the next start:\n" + read(log), Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
                assertTrue(second.isAlive(), () -> "the second start died: " + read(log));
                return read(log).contains("plugin 'crashy' was being called in the server's JVM (1 call in flight) when the server died: "
                        + "quarantined");
            });
            DeployIT.await(() -> "plugin:deploys lists it refused as quarantined", Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
                try {
                    return client(data, "plugin:deploys").out().contains("is quarantined: plugin 'crashy' was being called in the server's JVM");
                } catch (Exception e) {
                    return false;
                }
            });
            assertTrue(second.isAlive(), "no crash loop: " + read(log));

            // a new version of the library is loaded again
            Files.copy(build.resolve("libcrashy-v2.so"), plugins.resolve(".libcrashy.so"));
            Files.move(plugins.resolve(".libcrashy.so"), plugins.resolve("libcrashy.so"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            awaitAnswer(data, "plugin:call crashy greet ok", "v2: ok\n", second, log);
        } finally {
            second.destroy();
            assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
        }
        assertEquals(0, second.exitValue(), read(log));
    }
}
