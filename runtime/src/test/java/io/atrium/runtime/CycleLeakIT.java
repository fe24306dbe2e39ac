package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.greeting.Greeter;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * Issue 8: install, update and uninstall cycles through the real watched folder leave nothing behind.
 * Old bundle revisions' class loaders, old plugin processes and old wasm modules are collectable (held
 * weakly here, cleared after collections); threads, file descriptors, child processes and the heap after
 * a full GC come back to what they were after a warm-up cycle.
 *
 * <p>{@code -Datrium.cycles=1000} runs the long version (docs/reliability.md has its command and figures).
 */
class CycleLeakIT extends ServerWithPluginFolder {
    /** The suite's run; docs/reliability.md has the long one's command and figures. */
    static final int CYCLES = Integer.getInteger("atrium.cycles", 50);
    /**
     * Heap growth allowed after all cycles. One leaked bundle revision costs its class loader, classes and
     * Felix's wiring (~100-200 KiB); one leaked wasm module its compiled classes and memory (~1 MiB); so a
     * leaked module per cycle passes 16 MiB within the short run's 50 cycles (a leaked revision only in the
     * long run: the weak references see it at once), while what grows honestly
     * (the recorded log lines, counters per plugin name, the JIT's and the class-data caches' bookkeeping)
     * stays well under it.
     */
    static final long HEAP_GROWTH_BOUND = 16L << 20;
    /** Threads the JDK's and the framework's pools may add on demand (common pool, timers). */
    static final int THREAD_SLACK = 6;
    /** Descriptors opened on demand and kept (a jar of the JDK, a lazily opened log or random device). */
    static final int FD_SLACK = 4;
    static final String BSN = "test.cycle";

    // ------------------------------------------------------------------ in-process bundles

    @Test
    void bundlesInstalledUpdatedAndUninstalledThroughTheFolderLeaveNoRevisionBehind() throws Exception {
        Path v1 = cycleBundle("1.0.0", "One");
        Path v2 = cycleBundle("2.0.0", "Two");
        List<WeakReference<Class<?>>> revisions = new ArrayList<>();
        List<String> revisionNames = new ArrayList<>();
        bundleCycle(v1, v2, revisions, revisionNames); // warm-up: the facades' classes, the JIT, the pools
        ResourceSnapshot before = ResourceSnapshot.take();
        for (int i = 0; i < CYCLES; i++) {
            bundleCycle(v1, v2, revisions, revisionNames);
        }
        ResourceSnapshot after = settled(before, List.of());
        List<String> left = ResourceSnapshot.uncollected(revisions, revisionNames::get);
        assertEquals(List.of(), left, "classes of old bundle revisions are still reachable after " + CYCLES + " cycles");
        report("bundle", before, after);
        checkBounds(before, after, List.of());
    }

    /**
     * Installs and uninstalls through the folder, 200 times, with different bundles (DS components and
     * activators): the framework's bundle objects do not pile up (Felix kept a zero-count usage of Config
     * Admin per uninstalled DS bundle: docs/reliability.md), and an uninstalled plugin keeps no statistics
     * or metric series.
     */
    @Test
    void frameworkBundleObjectsAndMetricSeriesDoNotPileUpOverInstallsAndUninstalls() throws Exception {
        int cycles = Math.max(200, CYCLES);
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // DS plugins and activator plugins, alternately
            jars.add(i % 2 == 0 ? TestPlugins.dsGreeter(work, "test.pile" + i, "1.0.0", "pile" + i, "Pile")
                    : TestPlugins.greeterPlugin(work, "test.pile" + i, "pile" + i, TestPlugins.apiJar()));
        }
        copyIn(TestPlugins.greeterPlugin(work, "test.stay", "stay", TestPlugins.apiJar()), "stay.jar"); // one that stays
        await("stay answers", () -> atrium.service(Greeter.class, "stay").map(g -> g.greet("x")).isPresent());
        pileCycle(jars.get(0), 0); // warm-up
        long before = liveInstances("org.apache.felix.framework.BundleImpl");
        for (int i = 1; i <= cycles; i++) {
            pileCycle(jars.get(i % jars.size()), i % jars.size());
        }
        long bundles = liveInstances("org.apache.felix.framework.BundleImpl");
        assertTrue(bundles - before < 10, "BundleImpl objects after " + cycles + " installs and uninstalls: " + before + " -> " + bundles);
        List<io.atrium.api.CallStatistics> calls = PluginFacts.methods(atrium);
        assertTrue(calls.stream().noneMatch(c -> c.plugin().startsWith("pile")), "an uninstalled plugin keeps no statistics: " + calls);
        java.net.URI metrics = atrium.httpEndpoint().orElseThrow().resolve("/metrics");
        String scrape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(metrics).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(scrape.contains("plugin_lifecycle_events_total{event=\"install\",plugin=\"stay\"") || scrape.contains("plugin=\"stay\""),
                "the plugin that stays keeps its series");
        assertFalse(scrape.contains("plugin=\"pile"), "an uninstalled plugin keeps no series:\n"
                + scrape.lines().filter(l -> l.contains("pile")).limit(5).toList());
    }

    private void pileCycle(Path jar, int i) throws Exception {
        copyIn(jar, "pile.jar");
        await("pile" + i + " answers", () -> atrium.service(Greeter.class, "pile" + i).map(g -> g.greet("x")).isPresent());
        assertEquals(0, atrium.execute("plugin:call pile" + i + " greet x").status()); // counted by the metrics
        Files.delete(folder.resolve("pile.jar"));
        await("pile" + i + " is gone", () -> atrium.registry().plugin("pile" + i).isEmpty()
                && Arrays.stream(atrium.bundleContext().getBundles()).noneMatch(b -> ("test.pile" + i).equals(b.getSymbolicName())));
    }

    /** Live instances of a class after a full GC, from the JVM's class histogram of this process. */
    static long liveInstances(String className) throws Exception {
        String histogram = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {null}, new String[] {String[].class.getName()});
        return histogram.lines().map(String::trim).filter(l -> l.endsWith(" " + className))
                .mapToLong(l -> Long.parseLong(l.split("\\s+")[1])).sum();
    }

    /**
     * The core itself may be updated live (a fixed build, `update` in the shell): facades keep their classes
     * with the contracts, which outlive the core (the api bundle's Greeter), so nothing kept there may hold
     * the old core's class loader.
     */
    @Test
    void anUpdatedCoreLeavesItsOldRevisionCollectable() throws Exception {
        copyIn(cycleBundle("1.0.0", "One"), "cycle.jar");
        awaitAnswers("One, x", "One"); // facades of the api's Greeter and of the bundle's own contract
        Bundle core = Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> "io.atrium.core".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        List<WeakReference<Class<?>>> old = new ArrayList<>();
        List<String> names = List.of("FacadeClass of the old core", "PluginFacades of the old core");
        old.add(new WeakReference<>(core.loadClass("io.atrium.core.facade.FacadeClass")));
        old.add(new WeakReference<>(core.loadClass("io.atrium.core.facade.PluginFacades")));
        try (var jar = io.atrium.runtime.internal.BaseBundles.class.getResourceAsStream("/atrium/base/io.atrium.core.jar")) {
            core.update(jar);
        }
        var refreshed = new java.util.concurrent.CountDownLatch(1);
        atrium.bundleContext().getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class)
                .refreshBundles(List.of(core), e -> refreshed.countDown());
        assertTrue(refreshed.await(60, java.util.concurrent.TimeUnit.SECONDS), "the refresh after the core's update ended");
        Files.delete(folder.resolve("cycle.jar"));
        await("the cycle bundle is uninstalled", () -> bundle() == null);
        copyIn(cycleBundle("2.0.0", "Two"), "cycle.jar");
        awaitAnswers("Two, x", "Two"); // the new core deploys and makes facades again
        assertEquals(List.of(), ResourceSnapshot.uncollected(old, names::get), "the old core's classes are still reachable");
    }

    /** Drop v1, replace it with v2 (an update in place), delete it (an uninstall), each through the folder. */
    private void bundleCycle(Path v1, Path v2, List<WeakReference<Class<?>>> revisions, List<String> names) throws Exception {
        copyIn(v1, "cycle.jar");
        awaitAnswers("One, x", "One");
        holdRevision(revisions, names, "1.0.0");
        copyIn(v2, "cycle.jar");
        awaitAnswers("Two, x", "Two");
        holdRevision(revisions, names, "2.0.0");
        Files.delete(folder.resolve("cycle.jar"));
        await("the cycle bundle is uninstalled", () -> bundle() == null && atrium.registry().plugin("cycler").isEmpty()
                && atrium.registry().plugin("echo-cycler").isEmpty());
    }

    /** Both plugins of the bundle answer through their facades: the host's contract and the bundle's own one. */
    private void awaitAnswers(String greeting, String echo) throws Exception {
        await("cycler answers " + greeting, () -> greeting.equals(greet("cycler")));
        await(() -> "echo-cycler answers " + echo + "; last: " + echoProblem + "; plugins: " + atrium.registry().plugins(),
                () -> echo.equals(echoThroughFacade()));
    }

    private String greet(String plugin) {
        try {
            return atrium.service(Greeter.class, plugin).map(g -> g.greet("x")).orElse(null);
        } catch (io.atrium.api.PluginException goneMeanwhile) {
            return null;
        }
    }

    private volatile String echoProblem;

    /** The bundle's own contract is invisible to this test's class loader: its facade is called reflectively. */
    private String echoThroughFacade() {
        try {
            var ctx = atrium.bundleContext();
            ServiceReference<?>[] all = ctx.getAllServiceReferences("test_cycle.Echo", "(atrium.plugin.name=echo-cycler)");
            ServiceReference<?>[] refs = all == null ? null : Arrays.stream(all).filter(r -> r.getProperty(io.atrium.api.PluginProperties.FACADE) != null)
                    .toArray(ServiceReference<?>[]::new);
            if (refs == null || refs.length == 0) {
                echoProblem = "no facade of test_cycle.Echo; all echo-cycler services: " + Arrays.toString(ctx.getAllServiceReferences(null, "(atrium.plugin.name=echo-cycler)"));
                return null;
            }
            Object facade = ctx.getService(refs[0]);
            if (facade == null) {
                echoProblem = "its facade was withdrawn between the lookup and the get";
                return null;
            }
            try {
                String answer = (String) facade.getClass().getMethod("echo").invoke(facade);
                echoProblem = "answered " + answer + " through " + facade.getClass() + " of " + refs.length;
                return answer;
            } finally {
                ctx.ungetService(refs[0]);
            }
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof io.atrium.api.PluginException) {
                echoProblem = e.getCause().toString();
                return null; // swapped meanwhile
            }
            throw new AssertionError("echo-cycler's facade failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** Holds the implementation and the contract class of the bundle's current revision, weakly. */
    private void holdRevision(List<WeakReference<Class<?>>> refs, List<String> names, String version) throws Exception {
        Bundle b = bundle();
        assertNotNull(b, BSN + " is installed");
        for (String cls : List.of("test_cycle.G", "test_cycle.E", "test_cycle.Echo")) {
            refs.add(new WeakReference<>(b.loadClass(cls)));
            names.add(cls + " of " + BSN + " " + version + " (revision " + refs.size() / 3 + ")");
        }
    }

    private Bundle bundle() {
        return Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> BSN.equals(b.getSymbolicName())).findFirst().orElse(null);
    }

    /** A bundle with a Greeter (the host's contract) and an Echo (its own contract, private to it). */
    private Path cycleBundle(String version, String word) throws Exception {
        return TestPlugins.bundle(work, BSN, version, Map.of(
                "test_cycle.Echo", """
                        package test_cycle;
                        @io.atrium.api.PluginContract
                        public interface Echo { String echo(); }
                        """,
                "test_cycle.E", """
                        package test_cycle;
                        @org.osgi.service.component.annotations.Component(property = "atrium.plugin.name=echo-cycler")
                        public class E implements Echo { public String echo() { return "%s"; } }
                        """.formatted(word),
                "test_cycle.G", """
                        package test_cycle;
                        import io.atrium.api.greeting.Greeter;
                        @org.osgi.service.component.annotations.Component(property = "atrium.plugin.name=cycler")
                        public class G implements Greeter { public String greet(String who) { return "%s, " + who; } }
                        """.formatted(word)), Map.of());
    }

    /** Copies a file in the documented way: a dotfile first, renamed into place. */
    private void copyIn(Path source, String name) throws Exception {
        Path part = folder.resolve("." + name);
        Files.copy(source, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    // ------------------------------------------------------------------ process plugins

    @Test
    void processPluginReloadsLeaveNoProcessPipeOrThreadBehind() throws Exception {
        Files.writeString(folder.resolve("pcycle.py"), """
                import os, sys
                sys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])
                from atrium_plugin import serve
                serve(name="pcycle", version="1.0.0", contract="io.atrium.api.greeting.Greeter",
                      methods={"greet": lambda who: os.environ["GREETING"] + ", " + who})
                """);
        List<WeakReference<Object>> processes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        processCycle(0, processes, names);
        ResourceSnapshot before = ResourceSnapshot.take();
        int reloads = Math.max(10, CYCLES / 2); // a launch is a Python start: ~50 ms of CPU
        for (int i = 1; i <= reloads; i++) {
            processCycle(i, processes, names);
        }
        long current = pid("pcycle");
        // only the running process may still be held; everything before it retired
        List<String> left = ResourceSnapshot.uncollected(processes.subList(0, processes.size() - 1), names::get);
        assertEquals(List.of(), left, "old plugin processes are still reachable after " + reloads + " reloads");
        ResourceSnapshot after = settled(before, List.of(current));
        report("process", before, after);
        checkBounds(before, after, List.of(current));
        List<String> oldThreads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("atrium-plugin-pcycle-") && !n.startsWith("atrium-plugin-pcycle-" + current)).toList();
        assertEquals(List.of(), oldThreads, "reader threads of old pcycle processes");

        Files.delete(folder.resolve("pcycle.plugin.json"));
        await("the last pcycle process ends", () -> ProcessHandle.of(current).map(p -> !p.isAlive()).orElse(true));
        await(() -> "no plugin process is left: " + ResourceSnapshot.liveChildren(),
                () -> ResourceSnapshot.liveChildren().stream().noneMatch(c -> c.contains("pcycle")));
    }

    /** Writes the manifest with a new greeting (a reload: a new process), and every tenth time removes it first. */
    private void processCycle(int i, List<WeakReference<Object>> refs, List<String> names) throws Exception {
        if (i % 10 == 9) {
            Files.delete(folder.resolve("pcycle.plugin.json"));
            await("pcycle is undeployed", () -> atrium.registry().plugin("pcycle").isEmpty());
        }
        drop("pcycle.plugin.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "pcycle.py"],
                 "env": {"ATRIUM_SDK_PYTHON": "%s", "GREETING": "Hi%d"}}
                """.formatted(ProcessPluginIT.SDK, i));
        String expected = "Hi" + i + ", x";
        await("pcycle answers " + expected, () -> expected.equals(greet("pcycle")));
        Object process = Reachable.find(registered("io.atrium.transport.process", "pcycle"), "PluginProcess", 6);
        assertNotNull(process, "pcycle's process object is reachable from its service");
        refs.add(new WeakReference<>(process));
        names.add("pcycle's process of reload " + i + " (" + process + ")");
    }

    long pid(String name) {
        String info = atrium.execute("plugin:info " + name).output();
        return info.lines().filter(l -> l.startsWith("pid ")).map(l -> Long.parseLong(l.substring(4).strip())).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ wasm plugins

    @Test
    void wasmReloadsLeaveNoModuleBehind() throws Exception {
        Path part = folder.resolve(".wcycle.wasm");
        Files.copy(WasmPluginIT.GREETER, part);
        Files.move(part, folder.resolve("wcycle.wasm"), StandardCopyOption.ATOMIC_MOVE);
        List<WeakReference<Object>> modules = new ArrayList<>();
        List<String> names = new ArrayList<>();
        wasmCycle(0, modules, names);
        ResourceSnapshot before = ResourceSnapshot.take();
        for (int i = 1; i <= CYCLES; i++) {
            wasmCycle(i, modules, names);
        }
        List<String> left = ResourceSnapshot.uncollected(modules.subList(0, modules.size() - 2), names::get);
        assertEquals(List.of(), left, "old wasm modules or instance pools are still reachable after " + CYCLES + " reloads");
        ResourceSnapshot after = settled(before, List.of());
        report("wasm", before, after);
        checkBounds(before, after, List.of());
    }

    private void wasmCycle(int i, List<WeakReference<Object>> refs, List<String> names) throws Exception {
        if (i % 10 == 9) {
            Files.delete(folder.resolve("wcycle.wasm.json"));
            await("wcycle is undeployed", () -> atrium.registry().plugin("wcycle").isEmpty());
        }
        drop("wcycle.wasm.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "wasm": "wcycle.wasm", "config": {"greeting": "Hi%d"}}
                """.formatted(i));
        String expected = "Hi" + i + ", x!";
        await("wcycle answers " + expected, () -> expected.equals(greet("wcycle")));
        Object pool = Reachable.find(registered("io.atrium.transport.wasm", "wcycle"), "InstancePool", 6);
        assertNotNull(pool, "wcycle's instance pool is reachable from its service");
        Object module = Reachable.find(pool, "LoadedModule", 1);
        assertNotNull(module, "wcycle's module is reachable from its pool");
        refs.add(new WeakReference<>(pool));
        names.add("wcycle's instance pool of reload " + i);
        refs.add(new WeakReference<>(module));
        names.add("wcycle's compiled module of reload " + i);
    }

    // ------------------------------------------------------------------ the checks themselves

    /** Each check fails on its kind of leak, made here on purpose: a check that cannot fail proves nothing. */
    @Test
    void eachCheckSeesItsKindOfLeak() throws Exception {
        Object held = new Object();
        List<WeakReference<Object>> refs = List.of(new WeakReference<>(held));
        assertEquals(List.of("held strongly"), ResourceSnapshot.uncollected(refs, i -> "held strongly"));
        java.lang.ref.Reference.reachabilityFence(held);

        // each leak well over its slack, against a snapshot taken just before it: the server's own drift stays small
        ResourceSnapshot before = ResourceSnapshot.take();
        try (Waiting leaked = new Waiting("leaked-", THREAD_SLACK + 5)) { // of no kind of Atrium's: the total counts
            assertFailsOn("threads", before);
        }
        before = ResourceSnapshot.take();
        try (Waiting leaked = new Waiting("atrium-leaked-", 3)) { // more of one kind of Atrium's than a pool adds
            assertFailsOn("Atrium threads", before);
        }

        before = ResourceSnapshot.take();
        List<java.io.InputStream> fds = new ArrayList<>();
        try {
            for (int i = 0; i < FD_SLACK + 5; i++) {
                fds.add(Files.newInputStream(Path.of("/proc/self/stat")));
            }
            assertFailsOn("open descriptors", before);
        } finally {
            for (java.io.InputStream in : fds) {
                in.close();
            }
        }

        before = ResourceSnapshot.take();
        Process child = new ProcessBuilder("sleep", "60").start();
        try {
            assertFailsOn("child processes", before);
        } finally {
            child.destroyForcibly().waitFor();
        }

        before = ResourceSnapshot.take();
        byte[][] heap = new byte[(int) (HEAP_GROWTH_BOUND >> 20) + 8][];
        for (int i = 0; i < heap.length; i++) {
            heap[i] = new byte[1 << 20];
        }
        assertFailsOn("heap after GC", before);
        java.lang.ref.Reference.reachabilityFence(heap);
    }

    private static void assertFailsOn(String what, ResourceSnapshot before) {
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> checkBounds(before, ResourceSnapshot.take(), List.of()), "the checks let a leak of " + what + " pass");
        assertTrue(e.getMessage().startsWith(what), () -> "a leak of " + what + " was reported as: " + e.getMessage());
    }

    /** Threads that wait until closed. */
    private static final class Waiting implements AutoCloseable {
        private final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
        private final List<Thread> threads = new ArrayList<>();

        Waiting(String prefix, int n) {
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(() -> {
                    try {
                        end.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, prefix + i);
                t.start();
                threads.add(t);
            }
        }

        @Override
        public void close() throws InterruptedException {
            end.countDown();
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    // ------------------------------------------------------------------ shared

    /** The service a transport registered for a plugin (not the core's facade in front of it). */
    private Object registered(String transportBsn, String plugin) {
        Bundle transport = Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> transportBsn.equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        for (ServiceReference<?> ref : transport.getRegisteredServices()) {
            if (plugin.equals(ref.getProperty("atrium.plugin.name"))) {
                Object service = atrium.bundleContext().getService(ref);
                atrium.bundleContext().ungetService(ref);
                return service;
            }
        }
        throw new AssertionError(transportBsn + " registers no service for " + plugin);
    }


    /**
     * Waits (bounded) until what retires in the background is gone: old processes' reader threads,
     * pipes and the processes themselves end shortly after a reload, not at once.
     */
    private ResourceSnapshot settled(ResourceSnapshot before, List<Long> running) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        ResourceSnapshot now = ResourceSnapshot.take();
        while (System.nanoTime() < deadline && !withinBounds(before, now, running)) {
            Thread.sleep(200);
            now = ResourceSnapshot.take();
        }
        return now;
    }

    private static boolean withinBounds(ResourceSnapshot before, ResourceSnapshot after, List<Long> running) {
        return after.moreAtriumThreadsThan(before).isEmpty() && after.threadCount() <= before.threadCount() + THREAD_SLACK
                && after.fds().size() <= before.fds().size() + FD_SLACK && after.children().size() <= before.children().size()
                && after.heapAfterGc() <= before.heapAfterGc() + HEAP_GROWTH_BOUND;
    }

    private static void checkBounds(ResourceSnapshot before, ResourceSnapshot after, List<Long> running) {
        assertEquals(List.of(), after.moreAtriumThreadsThan(before), "Atrium threads that were not there before the cycles");
        assertTrue(after.threadCount() <= before.threadCount() + THREAD_SLACK,
                "threads: " + before.threadCount() + " -> " + after.threadCount() + "\nbefore " + before.threads() + "\nafter  " + after.threads());
        Set<String> fdsBefore = Set.copyOf(before.fds());
        assertTrue(after.fds().size() <= before.fds().size() + FD_SLACK, "open descriptors: " + before.fds().size() + " -> "
                + after.fds().size() + "; new ones: " + after.fds().stream().filter(f -> !fdsBefore.contains(f)).collect(Collectors.joining(", ")));
        assertTrue(after.children().size() <= before.children().size(),
                "child processes: before " + before.children() + ", after " + after.children());
        for (String child : after.children()) {
            long pid = Long.parseLong(child.substring(0, child.indexOf(' ')));
            boolean wasThere = before.children().stream().anyMatch(c -> c.startsWith(pid + " "));
            assertTrue(wasThere || running.contains(pid), "a child process that is neither the running plugin nor there before: " + child);
        }
        assertTrue(after.heapAfterGc() <= before.heapAfterGc() + HEAP_GROWTH_BOUND,
                "heap after GC grew from " + mib(before.heapAfterGc()) + " to " + mib(after.heapAfterGc()) + " MiB (bound +" + mib(HEAP_GROWTH_BOUND) + ")");
    }

    /** The figures docs/reliability.md quotes, printed for every run. */
    private static void report(String what, ResourceSnapshot before, ResourceSnapshot after) {
        System.out.printf("[cycles] %s, N=%d: threads %d -> %d, fds %d -> %d, children %d -> %d, heap after GC %.1f -> %.1f MiB, classes %d -> %d%n",
                what, CYCLES, before.threadCount(), after.threadCount(), before.fds().size(), after.fds().size(), before.children().size(),
                after.children().size(), before.heapAfterGc() / 1048576.0, after.heapAfterGc() / 1048576.0, before.classes(), after.classes());
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
