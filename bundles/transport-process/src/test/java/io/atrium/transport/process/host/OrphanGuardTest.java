package io.atrium.transport.process.host;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog with real processes: a "plugin" started the way the launcher starts one (in a session of its
 * own) that started a child of its own, which is what a plugin's end or the server's end must take along.
 * The script runs under /bin/sh, whatever shell that is here (dash on Debian and Ubuntu, whose kill has
 * its own ideas about arguments).
 */
class OrphanGuardTest {
    private final List<ProcessHandle> started = new ArrayList<>();

    @AfterEach
    void nothingLeftRunning() {
        started.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void theServersEndKillsEveryListedPluginWithTheProcessesItStarted() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Process plugin = plugin(guard);
        guard.watch(plugin);
        ProcessHandle child = childOf(plugin);
        guard.close(); // the pipe closes as it does when the JVM dies
        awaitGone(plugin.toHandle(), "the plugin");
        awaitGone(child, "the plugin's own child");
    }

    @Test
    void aPluginsEndKillsWhatItLeftInItsGroupAndTheGuardGoesOn() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Process plugin = plugin(guard);
        guard.watch(plugin);
        ProcessHandle child = childOf(plugin);
        plugin.destroyForcibly(); // the plugin alone, as a reload kills its old process
        awaitGone(child, "the child of a plugin that ended");
        assertTrue(ProcessHandle.of(guard.pid()).map(ProcessHandle::isAlive).orElse(false), "the watchdog still runs");

        Process next = plugin(guard); // and still guards the plugins started after
        guard.watch(next);
        ProcessHandle nextChild = childOf(next);
        guard.close();
        awaitGone(next.toHandle(), "the next plugin");
        awaitGone(nextChild, "the next plugin's child");
    }

    private OrphanGuard started(OrphanGuard guard) {
        assumeTrue(guard.pid() > 0, "no /bin/sh");
        assumeTrue(!guard.sessionPrefix().isEmpty(), "no setsid: only the plugin's own process is killed");
        ProcessHandle.of(guard.pid()).ifPresent(started::add);
        return guard;
    }

    /** A plugin in a session of its own that starts a child, says the child's pid and then waits. */
    private Process plugin(OrphanGuard guard) throws Exception {
        List<String> cmd = new ArrayList<>(guard.sessionPrefix());
        cmd.addAll(List.of("/bin/sh", "-c", "sleep 600 & echo $!; exec sleep 600"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p.toHandle());
        return p;
    }

    private ProcessHandle childOf(Process plugin) throws Exception {
        String line = new BufferedReader(new InputStreamReader(plugin.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        ProcessHandle child = ProcessHandle.of(Long.parseLong(line.strip())).orElseThrow();
        started.add(child);
        return child;
    }

    /** Bounded: the watchdog acts as soon as it reads its line, well within the 10 s allowed here. */
    private static void awaitGone(ProcessHandle p, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (p.isAlive()) {
            assertTrue(System.nanoTime() < deadline, what + " (" + p.pid() + ") outlived it");
            Thread.sleep(20);
        }
    }
}
