package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's chaos soak: callers on an in-process, a process and a wasm Greeter (and a configured
 * bundle) while a driver, at random, updates the bundle, reloads and SIGKILLs the process plugin,
 * replaces the wasm module, drops bad files into the folder and takes them away, and edits a
 * configuration file. Every call must succeed or fail with one of Atrium's typed exceptions within
 * its deadline plus a margin; afterwards every plugin serves again, the last configuration is the one
 * in force, and threads, descriptors, child processes and the heap are back within bounds.
 *
 * <p>{@code -Datrium.soak.seconds=600} runs the long version ({@code atrium.soak.seed} replays one);
 * docs/reliability.md has the command and the figures.
 */
class ChaosSoakIT extends ServerWithPluginFolder {
    static final int SECONDS = Integer.getInteger("atrium.soak.seconds", 20);
    static final long SEED = Long.getLong("atrium.soak.seed", System.nanoTime());
    /** The process and wasm plugins' call timeout. */
    static final long DEADLINE_MS = 2_000;
    /** How far past its deadline a call may return before it counts as hung (GC, a loaded machine). */
    static final long MARGIN_MS = 5_000;
    static final List<String> PLUGINS = List.of("inproc", "proc", "wasm", "configured");

    /** What the callers saw, by plugin and outcome. */
    static final class Tally {
        final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        final Set<String> defects = new ConcurrentSkipListSet<>();
        final AtomicLong slowest = new AtomicLong();

        void add(String plugin, String outcome) {
            counts.computeIfAbsent(plugin + " " + outcome, k -> new LongAdder()).increment();
        }

        long count(String plugin, String outcome) {
            LongAdder a = counts.get(plugin + " " + outcome);
            return a == null ? 0 : a.sum();
        }

        String report() {
            StringBuilder b = new StringBuilder();
            new TreeMap<>(counts).forEach((k, v) -> b.append(String.format("  %-40s %,d%n", k, v.sum())));
            return b.toString();
        }
    }

    @Test
    void pluginsOfEveryTransportKeepServingThroughUpdatesReloadsKillsAndBadFiles() throws Exception {
        Random random = new Random(SEED);
        System.out.println("chaos soak: seed " + SEED + " (-Datrium.soak.seed to replay), " + SECONDS + " s");
        List<Path> versions = List.of(TestPlugins.dsGreeter(work, "soak.inproc", "1.0.0", "inproc", "Hello"),
                TestPlugins.dsGreeter(work, "soak.inproc", "1.0.1", "inproc", "Hello"));
        place(versions.get(0), "inproc.jar");
        place(configuredGreeter(), "configured.jar");
        drop("soak.config.cfg", "value = 0\n");
        helperPlugin("proc", "return 'Hello, ' + who", "\"limits\": {\"callTimeoutMs\": " + DEADLINE_MS + "}, "
                + "\"restart\": {\"maxRestarts\": 1000000, \"initialBackoffMs\": 10, \"maxBackoffMs\": 200}");
        List<Path> modules = List.of(WasmPluginIT.GREETER, WasmPluginIT.C_GREETER);
        place(modules.get(0), "wasm.wasm");
        drop("wasm.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"wasm.wasm\", "
                + "\"limits\": {\"callTimeoutMs\": " + DEADLINE_MS + "}}");
        for (String p : List.of("inproc", "proc", "wasm")) {
            assertTrue(greeter(p).greet("x").startsWith("Hello, x"), p);
        }
        await("the configuration is applied", () -> greeterAnswer("configured").equals("value 0"));
        ResourceSnapshot before = ResourceSnapshot.take();

        Tally tally = new Tally();
        long end = System.nanoTime() + SECONDS * 1_000_000_000L;
        List<Thread> callers = new ArrayList<>();
        for (String plugin : PLUGINS) {
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> callUntil(plugin, end, tally), "soak-caller-" + plugin + "-" + i);
                t.start();
                callers.add(t);
            }
        }
        Map<String, Integer> actions = new TreeMap<>();
        List<String> badFiles = new ArrayList<>();
        int lastConfig = 0;
        for (int step = 0; System.nanoTime() < end; step++) {
            Thread.sleep(20 + random.nextInt(130));
            switch (random.nextInt(7)) {
                case 0 -> {
                    place(versions.get(step % 2), "inproc.jar"); // a new version: an update in place
                    count(actions, "bundle updated");
                }
                case 1 -> {
                    atrium.execute("plugin:reload proc");
                    count(actions, "process reloaded");
                }
                case 2 -> {
                    ProcessHandle.current().descendants().filter(h -> h.info().commandLine().orElse("").contains("proc.py"))
                            .forEach(ProcessHandle::destroyForcibly);
                    count(actions, "process SIGKILLed");
                }
                case 3 -> {
                    place(modules.get(step % 2), "wasm.wasm");
                    count(actions, "wasm module replaced");
                }
                case 4 -> {
                    String name = "bad-" + step + (random.nextBoolean() ? ".jar" : random.nextBoolean() ? ".plugin.json" : ".wasm.json");
                    byte[] junk = new byte[random.nextInt(2048)];
                    random.nextBytes(junk);
                    Files.write(folder.resolve("." + name), junk);
                    Files.move(folder.resolve("." + name), folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                    badFiles.add(name);
                    count(actions, "bad file dropped");
                }
                case 5 -> {
                    if (!badFiles.isEmpty()) {
                        Files.deleteIfExists(folder.resolve(badFiles.remove(random.nextInt(badFiles.size()))));
                        count(actions, "bad file removed");
                    }
                }
                default -> {
                    lastConfig = step;
                    drop("soak.config.cfg", "value = " + step + "\n");
                    count(actions, "configuration edited");
                }
            }
        }
        for (Thread t : callers) {
            t.join(DEADLINE_MS + MARGIN_MS + 10_000);
            if (t.isAlive()) {
                tally.defects.add("HANG: " + t.getName() + " is still in a call: " + List.of(t.getStackTrace()));
            }
        }
        for (String bad : badFiles) {
            Files.deleteIfExists(folder.resolve(bad));
        }

        // afterwards: everything serves, the last configuration is in force, nothing was left behind
        for (String p : List.of("inproc", "proc", "wasm")) {
            String[] answer = new String[1];
            await(p + " serves again", () -> (answer[0] = greeterAnswer(p)).startsWith("Hello, x"));
        }
        int expected = lastConfig;
        await("the last configuration written is the one in force", () -> greeterAnswer("configured").equals("value " + expected));
        // the deletes above reach the deployer after its debounce: awaited, not assumed
        await(() -> "removed bad files are forgotten: " + PluginFacts.folder(atrium), () -> PluginFacts.files(atrium).stream()
                .noneMatch(f -> f.file().startsWith("bad-")));
        // a reload's old process drains, then ends: wait for that, then any extra child is a leak
        await(() -> "as many child processes as before: " + before.children() + ", now: " + ResourceSnapshot.liveChildren(),
                Duration.ofSeconds(20), Duration.ofMillis(100), () -> ResourceSnapshot.liveChildren().size() == before.children().size());
        ResourceSnapshot after = ResourceSnapshot.take();

        long calls = tally.counts.values().stream().mapToLong(LongAdder::sum).sum();
        System.out.printf("chaos soak: %d s, seed %d, %,d calls%n%s  actions: %s%n  slowest call: %d ms%n"
                        + "  threads %d -> %d, fds %d -> %d, children %d -> %d, heap after GC %.1f -> %.1f MiB%n",
                SECONDS, SEED, calls, tally.report(), actions, tally.slowest.get(), before.threadCount(), after.threadCount(),
                before.fds().size(), after.fds().size(), before.children().size(), after.children().size(),
                before.heapAfterGc() / 1048576.0, after.heapAfterGc() / 1048576.0);
        assertEquals(Set.of(), Set.copyOf(tally.defects), "hangs, untyped failures or wrong answers");
        for (String p : PLUGINS) {
            assertTrue(tally.count(p, "ok") > 0, p + " answered no call:\n" + tally.report());
        }
        assertEquals(0, tally.count("inproc", "failed: crashed") + tally.count("inproc", "failed: timeout"),
                "an update fails no call of an in-process plugin:\n" + tally.report());
        assertEquals(before.children().size(), after.children().size(), "child processes: " + before.children() + " -> " + after.children());
        assertTrue(after.threadCount() <= before.threadCount() + 10, "threads: " + before.threads() + " -> " + after.threads());
        assertTrue(after.fds().size() <= before.fds().size() + 10, "descriptors: " + before.fds() + " -> " + after.fds());
        assertTrue(after.heapAfterGc() < before.heapAfterGc() + (64L << 20), "heap after GC grew by more than 64 MiB");
    }

    /** One caller: calls its plugin until {@code end}, sorting each outcome. */
    private void callUntil(String plugin, long end, Tally tally) {
        for (long n = 0; System.nanoTime() < end; n++) {
            long start = System.nanoTime();
            String outcome;
            Optional<Greeter> g = atrium.service(Greeter.class, plugin);
            if (g.isEmpty()) {
                tally.add(plugin, "not registered at the moment");
                sleep();
                continue;
            }
            String who = "x" + n;
            try {
                String answer = g.get().greet(who);
                boolean right = plugin.equals("configured") ? answer.startsWith("value ") : answer.startsWith("Hello, " + who);
                outcome = right ? "ok" : null;
                if (!right) {
                    tally.defects.add("WRONG ANSWER from " + plugin + " to " + who + ": " + answer);
                }
            } catch (PluginTimeoutException e) {
                outcome = "failed: timeout";
            } catch (PluginCrashedException e) {
                outcome = "failed: crashed";
            } catch (PluginUnavailableException e) {
                outcome = "failed: unavailable";
            } catch (PluginRejectedException e) {
                outcome = "failed: rejected";
            } catch (RuntimeException e) {
                outcome = "UNTYPED";
                tally.defects.add("UNTYPED failure from " + plugin + ": " + e);
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            tally.slowest.accumulateAndGet(ms, Math::max);
            if (ms > DEADLINE_MS + MARGIN_MS) {
                tally.defects.add("HANG: a call to " + plugin + " took " + ms + " ms (" + outcome + ")");
            }
            if (outcome != null) {
                tally.add(plugin, outcome);
            }
            if (!"ok".equals(outcome)) {
                sleep(); // a failing plugin is not hammered: the others get the CPU
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String greeterAnswer(String plugin) {
        try {
            return atrium.service(Greeter.class, plugin).map(g -> g.greet("x")).orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static void count(Map<String, Integer> actions, String action) {
        actions.merge(action, 1, Integer::sum);
    }

    /** A DS Greeter that answers with its configuration (PID soak.config): "value N". */
    private Path configuredGreeter() throws Exception {
        return TestPlugins.bundle(work, "soak.configured", "1.0.0", Map.of("soak.configured.C", """
                package soak.configured;
                import io.atrium.api.greeting.Greeter;
                import java.util.Map;
                import org.osgi.service.component.annotations.*;
                @Component(configurationPid = "soak.config", property = "atrium.plugin.name=configured")
                public class C implements Greeter {
                    private volatile String value = "none";
                    @Activate @Modified void configure(Map<String, Object> p) { value = String.valueOf(p.get("value")); }
                    public String greet(String who) { return "value " + value; }
                }
                """), Map.of());
    }
}
