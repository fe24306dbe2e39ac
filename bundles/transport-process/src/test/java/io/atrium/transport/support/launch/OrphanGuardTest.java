package io.atrium.transport.support.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog with real processes: a "plugin" started the way the launcher starts one (in a session of its
 * own, held until listed) that started a child of its own, which is what a plugin's end or the server's end
 * must take along.
 * The script runs under /bin/sh, whatever shell that is here (dash on Debian and Ubuntu, whose kill has
 * its own ideas about arguments).
 */
public final class OrphanGuardTest {
    private final List<ProcessHandle> started = new ArrayList<>();
    /** The mark each launched process was started with, as the launcher gives one. */
    private final java.util.Map<Process, String> marks = new java.util.HashMap<>();

    @AfterEach
    void nothingLeftRunning() {
        started.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void theServersEndKillsEveryListedPluginWithTheProcessesItStarted() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Watched plugin = watchedPlugin(guard);
        guard.close(); // the pipe closes as it does when the JVM dies
        awaitGone(plugin.process(), "the plugin");
        awaitGone(plugin.child(), "the plugin's own child");
    }

    @Test
    void aPluginsEndKillsWhatItLeftInItsGroupAndTheGuardGoesOn() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Watched plugin = watchedPlugin(guard);
        plugin.process().destroyForcibly(); // the plugin alone, as a reload kills its old process
        awaitGone(plugin.child(), "the child of a plugin that ended");
        assertTrue(ProcessHandle.of(guard.pid()).map(ProcessHandle::isAlive).orElse(false), "the watchdog still runs");

        Watched next = watchedPlugin(guard); // and still guards the plugins started after
        guard.close();
        awaitGone(next.process(), "the next plugin");
        awaitGone(next.child(), "the next plugin's child");
    }

    @Test
    void aWatchdogThatDiesIsReplacedAndTheReplacementGuardsEveryRunningPlugin() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Watched before = watchedPlugin(guard);
        long first = guard.pid();
        ProcessHandle firstWatchdog = ProcessHandle.of(first).orElseThrow();
        firstWatchdog.destroyForcibly(); // killed by hand, or by the OOM killer
        awaitGone(firstWatchdog, "the first watchdog");

        Watched after = watchedPlugin(guard); // a launch after its death is not refused
        assertTrue(guard.pid() != first && ProcessHandle.of(guard.pid()).map(ProcessHandle::isAlive).orElse(false),
                "a new watchdog runs");
        ProcessHandle.of(guard.pid()).ifPresent(started::add);
        guard.close(); // the server's end: the new watchdog kills both, the one listed before it too
        awaitGone(before.process(), "the plugin listed with the first watchdog");
        awaitGone(before.child(), "its child");
        awaitGone(after.process(), "the plugin listed after");
        awaitGone(after.child(), "its child");
    }

    @Test
    void aPluginStartsOnlyOnceListedAndGetsItsStdinIntact() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Process p = launched(guard, "read -r first; echo \"got $first\"");
        guard.watch(p, marks.get(p));
        p.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        assertEquals("got hello", new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip());
        guard.close();
    }

    @Test
    void aPluginWhoseServerDiedBeforeListingItNeverRuns() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Process p = launched(guard, "echo ran");
        p.getOutputStream().close(); // what the JVM's death does to the pipe before watch(p) could run
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the held process ends with its stdin");
        assertEquals("", new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII), "the plugin's command ran");
        assertEquals(125, p.exitValue());
        guard.close();
    }

    @Test
    void aPluginsEndKillsWhatItStartedInASessionOfItsOwn() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Process p = launched(guard, "setsid sleep 600 & echo $!; exec sleep 600"); // the child leaves the plugin's group and session
        guard.watch(p, marks.get(p));
        ProcessHandle child = childOf(p);
        awaitSessionOfItsOwn(child, p);
        p.destroyForcibly();
        awaitGone(child, "the child in a session of its own, after its plugin's end");
        guard.close();
    }

    @Test
    void theServersEndKillsWhatAPluginStartedInASessionOfItsOwn() throws Exception {
        OrphanGuard guard = started(OrphanGuard.start());
        Process p = launched(guard, "setsid sleep 600 & echo $!; exec sleep 600");
        guard.watch(p, marks.get(p));
        ProcessHandle child = childOf(p);
        awaitSessionOfItsOwn(child, p);
        guard.close(); // the pipe closes as it does when the JVM dies: the watchdog alone must find the child
        awaitGone(p.toHandle(), "the plugin");
        awaitGone(child, "the child in a session of its own, after the server's end");
    }

    /** The child's session is not its plugin's (setsid ran): a kill of the plugin's group would miss it. */
    private static void awaitSessionOfItsOwn(ProcessHandle child, Process plugin) {
        waiting("the child runs sleep in a session of its own").until(() -> session(child.pid()) != session(plugin.pid())
                && ProcessHandle.of(child.pid()).flatMap(h -> h.info().command()).map(c -> c.endsWith("sleep")).orElse(false));
    }

    /** @return the session id in /proc/PID/stat (the sixth field; the second, the command, is in parentheses) */
    private static long session(long pid) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
    }

    private OrphanGuard started(OrphanGuard guard) {
        assumeTrue(guard.pid() > 0, "no /bin/sh");
        assumeTrue(guard.launchPrefix().get(0).endsWith("setsid"), "no setsid: only the plugin's own process is killed");
        ProcessHandle.of(guard.pid()).ifPresent(started::add);
        return guard;
    }

    /** A plugin's process, listed with the guard, and the child it started. */
    private record Watched(ProcessHandle process, ProcessHandle child) {
    }

    /** {@link #plugin}, listed with the guard, with its child's handle. */
    private Watched watchedPlugin(OrphanGuard guard) throws Exception {
        Process p = plugin(guard);
        guard.watch(p, marks.get(p));
        return new Watched(p.toHandle(), childOf(p));
    }

    /** A plugin in a session of its own that starts a child, says the child's pid and then waits. */
    private Process plugin(OrphanGuard guard) throws Exception {
        return launched(guard, "sleep 600 & echo $!; exec sleep 600");
    }

    /** A shell script started as the transport starts a plugin: behind the guard's launch prefix, held until listed. */
    private Process launched(OrphanGuard guard, String script) throws Exception {
        List<String> cmd = new ArrayList<>(guard.launchPrefix());
        cmd.addAll(List.of("/bin/sh", "-c", script));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        String mark = guard.mark();
        pb.environment().put(Launcher.INSTANCE_ENV, mark);
        Process p = pb.start();
        started.add(p.toHandle());
        marks.put(p, mark);
        return p;
    }

    private ProcessHandle childOf(Process plugin) throws Exception {
        String line = new BufferedReader(new InputStreamReader(plugin.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        ProcessHandle child = ProcessHandle.of(Long.parseLong(line.strip())).orElseThrow();
        started.add(child);
        return child;
    }

    /**
     * Bounded: the watchdog acts as soon as it reads its line, well within the 10 s allowed here. A zombie
     * (killed, its parent init not yet done reaping it) is gone: ProcessHandle.isAlive still says alive.
     */
    private static void awaitGone(ProcessHandle p, String what) {
        waiting(what + " (" + p.pid() + ") is gone").until(() -> gone(p.pid()));
    }

    /** Up to 10 s, checked in the test's thread; an exception from the condition fails at once. */
    public static ConditionFactory waiting(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                .pollInSameThread().dontCatchUncaughtExceptions(); // as a plain loop: another thread's death is not this wait's failure
    }

    /** @return whether the process is gone: no such pid, or a zombie not yet reaped */
    public static boolean gone(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException noSuchProcess) {
            return true;
        }
    }
}
