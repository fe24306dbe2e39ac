package io.atrium.transport.process.host;

import io.atrium.transport.support.launch.Launcher;
import io.atrium.transport.support.launch.OrphanGuard;
import io.atrium.transport.support.launch.OrphanGuardTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.support.PluginLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One-shot mode with real processes (POSIX shell scripts), started the way the transport starts them. */
class ExecRunnerTest {
    /** Processes spawned ahead unless the manifest says otherwise. */
    private static final int WARM = PluginManifest.Limits.DEFAULTS.warmProcesses();

    @TempDir
    Path dir;
    private OrphanGuard guard;
    private ScheduledExecutorService timers;
    private java.util.concurrent.ExecutorService work;
    private final java.util.List<ExecRunner> runners = new java.util.ArrayList<>();

    @BeforeEach
    void start() {
        guard = OrphanGuard.start();
        timers = Executors.newSingleThreadScheduledExecutor();
        work = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stop() {
        runners.forEach(ExecRunner::shutdown);
        work.shutdownNow();
        timers.shutdownNow();
        guard.close();
    }

    private ExecRunner runner(String script, long callTimeoutMs) throws Exception {
        return runner(script, callTimeoutMs, "");
    }

    /** @param limits more of the manifest's limits, e.g. {@code , "warmProcesses": 0} */
    private ExecRunner runner(String script, long callTimeoutMs, String limits) throws Exception {
        Path sh = dir.resolve("plugin.sh");
        Files.writeString(sh, "#!/bin/sh\n" + script);
        Files.setPosixFilePermissions(sh, PosixFilePermissions.fromString("rwx------"));
        String json = """
                {"version": "1.0.0", "contract": "a.b.Greeter", "command": ["./plugin.sh"], "mode": "exec",
                 "limits": {"callTimeoutMs": %d%s}}""".formatted(callTimeoutMs, limits);
        PluginManifest m = PluginManifest.parse(dir.resolve("demo.plugin.json"), json.getBytes(StandardCharsets.UTF_8));
        ExecRunner r = new ExecRunner(new Launcher(Map.of(), dir.resolve("verified"), guard), m, new PluginLog("demo"), timers, work);
        runners.add(r);
        return r;
    }

    /** @return the call's failure, once it ends (a call that answers fails the future instead) */
    private static CompletableFuture<RuntimeException> failureOf(ExecRunner r, long timeoutMs) {
        CompletableFuture<RuntimeException> failure = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                failure.completeExceptionally(new AssertionError("answered: " + r.call("greet", "[\"x\"]", timeoutMs)));
            } catch (RuntimeException e) {
                failure.complete(e);
            }
        });
        caller.setDaemon(true);
        caller.start();
        return failure;
    }

    @Test
    void aCallThatWaitedForAProcessHasItsWholeTimeoutFromWhenItIsHandedToOne() throws Exception {
        ExecRunner r = runner("read -r line\necho \"$line\" > request.json\nexec sleep 600\n", 500);
        r.slots.acquire(ExecRunner.MAX_PROCESSES); // every process slot is taken
        CompletableFuture<RuntimeException> call = failureOf(r, 500);
        OrphanGuardTest.waiting("the call waits for a slot").until(r.slots::hasQueuedThreads);
        Thread.sleep(50); // it waits 50 ms at least: time it must not be charged for
        r.slots.release();
        RuntimeException e = call.get(30, TimeUnit.SECONDS);
        assertInstanceOf(PluginTimeoutException.class, e);
        assertEquals("plugin 'demo': greet did not answer within 500 ms (the process was killed)", e.getMessage(), "the call's own limit");
        String request = Files.readString(dir.resolve("request.json"));
        assertTrue(request.contains("\"deadlineMs\":500"), "the process is told the whole limit, from when it has the call: " + request);
        r.slots.release(ExecRunner.MAX_PROCESSES - 1);
    }

    @Test
    void aProcessThatExitsIsDoneWhateverItStartedHoldsAndThatEndsWithIt() throws Exception {
        // the child moves to a session of its own and keeps stdout and stderr open
        ExecRunner r = runner("read -r line\nsetsid sleep 600 &\necho $! > child\nexit 5\n", 20_000);
        RuntimeException e = failureOf(r, 20_000).get(30, TimeUnit.SECONDS);
        assertInstanceOf(PluginCrashedException.class, e);
        assertEquals("plugin 'demo': exited with status 5 without an answer to greet", e.getMessage());
        long child = Long.parseLong(Files.readString(dir.resolve("child")).strip());
        OrphanGuardTest.waiting("the child (" + child + ") ends with its plugin's process").until(() -> gone(child));
    }

    /** A plugin that notes its pid as it starts, before it has a call, and answers with its pid. */
    private static final String NOTES_ITS_START = "echo $$ >> started\nread -r line\necho '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"'$$'\"}'\n";

    /** @return the pids of the plugin's processes started so far */
    private java.util.List<Long> started() throws java.io.IOException {
        Path f = dir.resolve("started");
        return Files.exists(f) ? Files.readAllLines(f).stream().filter(l -> !l.isBlank()).map(Long::parseLong).toList() : java.util.List.of();
    }

    @Test
    void processesSpawnedAheadEndWhenNoCallComesAndTheNextCallTopsThemUp() throws Exception {
        ExecRunner r = runner(NOTES_ITS_START, 20_000);
        OrphanGuardTest.waiting("processes are spawned ahead").until(() -> r.warm() == WARM);
        java.util.List<Long> ahead = started();
        r.retireIdle(60_000);
        assertEquals(WARM, r.warm(), "a minute has not passed: they stay");
        Thread.sleep(50);
        r.retireIdle(10);
        assertEquals(0, r.warm(), "no call for longer than asked: they go");
        for (long pid : ahead) {
            OrphanGuardTest.waiting("process " + pid + " spawned ahead ends").until(() -> gone(pid));
        }
        String answer = r.call("greet", "[\"x\"]", 20_000).getAsString();
        assertTrue(!ahead.contains(Long.parseLong(answer)), "the next call spawns its own: " + answer);
        OrphanGuardTest.waiting("and tops them up again").until(() -> r.warm() == WARM);
    }

    @Test
    void withNoProcessesWarmEachCallSpawnsItsOwnAndNoneWaits() throws Exception {
        ExecRunner r = runner(NOTES_ITS_START, 20_000, ", \"warmProcesses\": 0");
        String first = r.call("greet", "[\"x\"]", 20_000).getAsString();
        assertEquals(java.util.List.of(Long.parseLong(first)), started(), "one process, the call's own");
        Thread.sleep(300); // nothing is spawned ahead: were it, it would have noted its start by now
        assertEquals(1, started().size(), "none spawned ahead: " + started());
        assertEquals(0, r.warm());
        String second = r.call("greet", "[\"x\"]", 20_000).getAsString();
        assertTrue(!second.equals(first) && started().size() == 2, "each call its own process: " + started());
    }

    @Test
    void callsAreServedByProcessesSpawnedAheadEachOnceAndEachTakenOneIsReplaced() throws Exception {
        ExecRunner r = runner(NOTES_ITS_START, 20_000);
        OrphanGuardTest.waiting("two processes are spawned before any call").until(() -> started().size() == WARM && r.warm() == WARM);
        java.util.List<Long> ahead = started();
        String first = r.call("greet", "[\"x\"]", 20_000).getAsString();
        assertTrue(ahead.contains(Long.parseLong(first)), "answered by a process spawned ahead: " + first + " of " + ahead);
        OrphanGuardTest.waiting("the one taken is replaced").until(() -> started().size() == WARM + 1);
        String second = r.call("greet", "[\"x\"]", 20_000).getAsString();
        assertTrue(ahead.contains(Long.parseLong(second)) && !second.equals(first), "each process serves one call: " + first + ", " + second);
        OrphanGuardTest.waiting("the first is gone").until(() -> gone(Long.parseLong(first)));
    }

    @Test
    void aCallWhoseProcessesDiedWaitingSpawnsItsOwnAndAShutdownKillsThoseWaiting() throws Exception {
        ExecRunner r = runner(NOTES_ITS_START, 20_000);
        OrphanGuardTest.waiting("two processes are spawned ahead").until(() -> started().size() == WARM);
        java.util.List<Long> ahead = started();
        for (long pid : ahead) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // killed from outside while they wait
        }
        OrphanGuardTest.waiting("they leave the pool").until(() -> r.warm() == 0);
        String answer = r.call("greet", "[\"x\"]", 20_000).getAsString();
        assertTrue(!ahead.contains(Long.parseLong(answer)), "a new process answered: " + answer);
        OrphanGuardTest.waiting("new ones wait").until(() -> r.warm() == WARM);
        java.util.List<Long> waiting = started().stream().filter(p -> !ahead.contains(p) && p != Long.parseLong(answer)).toList();
        r.shutdown();
        OrphanGuardTest.waiting("the processes waiting for calls are gone").until(() -> waiting.stream().allMatch(ExecRunnerTest::gone));
    }

    @Test
    void aCallReturnsAtItsAnswerAndAProcessThatDoesNotExitIsKilledAtTheDeadline() throws Exception {
        ExecRunner r = runner("read -r line\necho '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"'$$'\"}'\nexec sleep 600\n", 500);
        long pid = Long.parseLong(r.call("greet", "[\"x\"]", 500).getAsString()); // answered: it lingers, but the caller has its answer
        OrphanGuardTest.waiting("it is killed at the call's deadline").until(() -> gone(pid));
        OrphanGuardTest.waiting("its slot is free again").until(() -> r.slots.availablePermits() == ExecRunner.MAX_PROCESSES);
    }

    static boolean gone(long pid) {
        return OrphanGuardTest.gone(pid);
    }
}
