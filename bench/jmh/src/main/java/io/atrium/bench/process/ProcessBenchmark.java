package io.atrium.bench.process;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import io.atrium.spi.PluginProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.framework.ServiceReference;

/**
 * Times the process transport with a plugin in a compiled language (examples/process/go-greeter), the
 * way bench/process/goplugin times hashicorp/go-plugin: a trivial Greeter call through the service
 * consumers get (the facade, the proxy, the pipe, Go and back), sequential and with 8 callers; launch
 * to the first answered call; a SIGKILL to the first failed call; one process per call in exec mode.
 *
 * <p>{@code ProcessBenchmark GO_GREETER_BINARY} prints one line per figure, {@code name value unit}.
 */
public final class ProcessBenchmark {
    public static void main(String[] args) throws Exception {
        Path binary = Path.of(args[0]).toAbsolutePath();
        Path work = Files.createTempDirectory("atrium-process-bench");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Files.copy(binary, folder.resolve("go-greeter"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(folder.resolve("go.plugin.json"), """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["./go-greeter"],
                 "limits": {"healthIntervalMs": 0}}""");
        // -Dbench.warmProcesses=N: the exec plugin's limits.warmProcesses (the default otherwise)
        String warm = System.getProperty("bench.warmProcesses");
        Files.writeString(folder.resolve("go-exec.plugin.json"), """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["./go-greeter"], "mode": "exec"%s}"""
                .formatted(warm == null ? "" : ", \"limits\": {\"warmProcesses\": " + Integer.parseInt(warm) + "}"));
        try (Atrium atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start()) {
            Greeter g = atrium.awaitService(Greeter.class, "go", Duration.ofSeconds(10));
            for (int i = 0; i < 50_000; i++) {
                g.greet("x");
            }
            // -Dbench.only=throughput, =exec or =launch (launch and crash): those rows alone, for quick A/B runs
            String only = System.getProperty("bench.only", "");
            boolean all = only.isEmpty();
            if (only.equals("exec")) {
                exec(atrium);
                return;
            }
            List<Double> p50 = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            for (int run = 0; all && run < 5; run++) {
                long[] d = new long[100_000];
                for (int i = 0; i < d.length; i++) {
                    long t = System.nanoTime();
                    g.greet("x");
                    d[i] = System.nanoTime() - t;
                }
                Arrays.sort(d);
                p50.add(d[d.length / 2] / 1000.0);
                p99.add(d[(int) (d.length * 0.99)] / 1000.0);
            }
            if (all) {
                System.out.printf("sequential.p50 %.1f us%nsequential.p99 %.1f us%n", median(p50), median(p99));
            }

            List<Double> rates = new ArrayList<>();
            for (int run = 0; !only.equals("launch") && run < 3; run++) {
                AtomicLong n = new AtomicLong();
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> callers = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    Thread t = new Thread(() -> {
                        while (!stop.get()) {
                            g.greet("x");
                            n.incrementAndGet();
                        }
                    });
                    t.start();
                    callers.add(t);
                }
                Thread.sleep(3000);
                stop.set(true);
                for (Thread t : callers) {
                    t.join();
                }
                rates.add(n.get() / 3.0);
            }
            if (!only.equals("launch")) {
                System.out.printf("throughput.8 %.0f calls/s%n", median(rates));
            }
            if (!all && !only.equals("launch")) {
                return;
            }

            // the process transport's provider (the wasm transport and the core's stopped plugins are providers too)
            ServiceReference<PluginProvider> ref = atrium.bundleContext().getServiceReferences(PluginProvider.class,
                    "(" + io.atrium.spi.ArtifactHandler.SUFFIX + "=.plugin.json)").iterator().next();
            PluginProvider provider = atrium.bundleContext().getService(ref);
            List<Double> launches = new ArrayList<>();
            for (int i = 0; i < 21; i++) {
                ProcessHandle old = ProcessHandle.of(Long.parseLong(provider.details("go").get("pid"))).orElseThrow();
                long t = System.nanoTime();
                provider.reload("go"); // a new process, handshake done, calls moved to it
                g.greet("x");
                launches.add((System.nanoTime() - t) / 1e6);
                // untimed, as go-plugin's loop kills its client before the next launch: the next launch does not share
                // the two CPUs with the old process's exit
                old.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            System.out.printf("launch.first-call %.1f ms%n", median(launches));

            List<Double> crashes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Greeter live = atrium.awaitService(Greeter.class, "go", Duration.ofSeconds(10));
                awaitAnswer(live);
                AtomicLong failedAt = new AtomicLong();
                Thread caller = new Thread(() -> {
                    while (true) {
                        try {
                            live.greet("x");
                        } catch (RuntimeException e) {
                            failedAt.set(System.nanoTime());
                            return;
                        }
                    }
                });
                caller.start();
                Thread.sleep(100);
                long pid = Long.parseLong(provider.details("go").get("pid"));
                long t = System.nanoTime();
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                caller.join();
                crashes.add((failedAt.get() - t) / 1e6);
                provider.reload("go"); // a fresh start: the supervisor would mark it failed after 5 crashes a minute
            }
            System.out.printf("crash.first-failure %.2f ms%n", median(crashes));
            if (all) {
                exec(atrium);
            }
        }
    }

    /**
     * 1000 calls back to back in exec mode, each running the executable once, after 2000 untimed ones: a
     * call a few milliseconds long takes that many for the JIT to have compiled the spawn path (before, its
     * compiler threads took about a third of the CPU).
     */
    private static void exec(Atrium atrium) throws java.io.IOException {
        Greeter once = atrium.awaitService(Greeter.class, "go-exec", Duration.ofSeconds(10));
        for (int i = 0; i < Integer.getInteger("bench.execWarmup", 2000); i++) {
            once.greet("x");
        }
        long[] e = new long[Integer.getInteger("bench.execCalls", 1000)];
        long cpu = cpuMs();
        for (int i = 0; i < e.length; i++) {
            long t = System.nanoTime();
            once.greet("x");
            e[i] = System.nanoTime() - t;
        }
        try {
            Thread.sleep(2500); // the last processes' exits and sweeps are counted too
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        }
        double cpuPerCall = (cpuMs() - cpu) / (double) e.length;
        Arrays.sort(e);
        if (Boolean.getBoolean("bench.execQuantiles")) { // the shape of the tail, not only its 99th percentile
            for (double q : new double[] {0.25, 0.5, 0.75, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999}) {
                System.out.printf("exec.q%s %.2f ms%n", q, e[(int) (e.length * q)] / 1e6);
            }
        }
        System.out.printf("exec.p50 %.2f ms%nexec.p99 %.2f ms%nexec.cpu %.2f ms%n", e[e.length / 2] / 1e6, e[(int) (e.length * 0.99)] / 1e6, cpuPerCall);
    }

    /**
     * @return CPU time of this JVM and of its ended children, and of its running children and their ended
     *         children (the native launcher reaps the plugins it starts), user and system, from /proc
     */
    private static long cpuMs() throws java.io.IOException {
        long ticks = ticks(ProcessHandle.current().pid());
        for (ProcessHandle child : ProcessHandle.current().children().toList()) {
            ticks += ticks(child.pid());
        }
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /** @return utime, stime, cutime and cstime (fields 14 to 17 of /proc/PID/stat), 0 for a process gone */
    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (java.io.IOException gone) {
            return 0;
        }
    }

    private static void awaitAnswer(Greeter g) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            try {
                g.greet("x");
                return;
            } catch (RuntimeException notYet) {
                Thread.sleep(10);
            }
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
