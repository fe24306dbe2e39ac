package io.atrium.bench.grpc;

import io.atrium.api.kv.KV;
import io.atrium.runtime.Atrium;
import io.atrium.spi.PluginProvider;
import java.nio.charset.StandardCharsets;
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
 * Times the gRPC transport with go-plugin's own, unmodified KV example plugin (built by
 * examples/grpc/build-kv.sh), the way bench/grpc/goplugin times go-plugin's Go host with the same plugin:
 * a {@code Get} of one key through the service consumers get (the facade, the proxy, gRPC, the plugin and
 * back), sequential and with 8 callers; launch to the first answered call; a SIGKILL to the first failed call.
 *
 * <p>{@code GrpcBenchmark BUILD_FOLDER} (the folder build-kv.sh wrote) prints one line per figure,
 * {@code name value unit}; {@code -Dbench.only=launch} the launch and crash rows alone, {@code =sequential} or
 * {@code =throughput} those rows alone; {@code -Dbench.calls=N} times N calls a run rather than 100 000.
 */
public final class GrpcBenchmark {
    public static void main(String[] args) throws Exception {
        Path built = Path.of(args[0]).toAbsolutePath();
        Path work = Files.createTempDirectory("atrium-grpc-bench");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Files.copy(built.resolve("kv-go-grpc"), folder.resolve("kv-go-grpc"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(built.resolve("kv.protoset"), folder.resolve("kv.protoset"));
        Files.writeString(folder.resolve("kv.grpc.json"), """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./kv-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello", "protocolVersions": [1]},
                 "descriptorSet": "kv.protoset", "service": "proto.KV", "limits": {"healthIntervalMs": 0}}""");
        String only = System.getProperty("bench.only", "");
        boolean sequential = only.isEmpty() || only.equals("sequential");
        boolean throughput = only.isEmpty() || only.equals("throughput");
        boolean launch = only.isEmpty() || only.equals("launch");
        int calls = Integer.getInteger("bench.calls", 100_000);
        try (Atrium atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start()) {
            KV kv = atrium.awaitService(KV.class, "kv", Duration.ofSeconds(10));
            kv.put("bench", "x".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; (sequential || throughput) && i < calls / 2; i++) {
                kv.get("bench");
            }
            List<Double> p50 = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int run = 0; sequential && run < 5; run++) {
                long[] d = new long[calls];
                long cpu0 = os.getProcessCpuTime();
                for (int i = 0; i < d.length; i++) {
                    long t = System.nanoTime();
                    kv.get("bench");
                    d[i] = System.nanoTime() - t;
                }
                cpu.add((os.getProcessCpuTime() - cpu0) / 1000.0 / d.length); // the host's side of a call: this JVM's CPU
                Arrays.sort(d);
                p50.add(d[d.length / 2] / 1000.0);
                p99.add(d[(int) (d.length * 0.99)] / 1000.0);
            }
            if (sequential) {
                System.out.printf("sequential.p50 %.1f us%nsequential.p99 %.1f us%nsequential.host-cpu %.1f us%n", median(p50), median(p99), median(cpu));
            }
            if (throughput) {
                List<Double> rates = new ArrayList<>();
                for (int run = 0; run < 3; run++) {
                    AtomicLong n = new AtomicLong();
                    AtomicBoolean stop = new AtomicBoolean();
                    List<Thread> callers = new ArrayList<>();
                    for (int w = 0; w < 8; w++) {
                        Thread t = new Thread(() -> {
                            while (!stop.get()) {
                                kv.get("bench");
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
                System.out.printf("throughput.8 %.0f calls/s%n", median(rates));
            }

            if (!launch) {
                return;
            }
            ServiceReference<PluginProvider> ref = atrium.bundleContext().getServiceReferences(PluginProvider.class,
                    "(" + io.atrium.spi.ArtifactHandler.SUFFIX + "=.grpc.json)").iterator().next();
            PluginProvider provider = atrium.bundleContext().getService(ref);
            List<Double> launches = new ArrayList<>();
            for (int i = 0; i < 21; i++) {
                ProcessHandle old = ProcessHandle.of(Long.parseLong(provider.details("kv").get("pid"))).orElseThrow();
                long t = System.nanoTime();
                provider.reload("kv"); // a new process, handshake and health check done, calls moved to it
                kv.get("bench");
                launches.add((System.nanoTime() - t) / 1e6);
                old.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS); // untimed, as go-plugin's loop kills its client first
            }
            System.out.printf("launch.first-call %.1f ms%n", median(launches));

            List<Double> crashes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                KV live = atrium.awaitService(KV.class, "kv", Duration.ofSeconds(10));
                awaitAnswer(live);
                AtomicLong failedAt = new AtomicLong();
                Thread caller = new Thread(() -> {
                    while (true) {
                        try {
                            live.get("bench");
                        } catch (RuntimeException e) {
                            failedAt.set(System.nanoTime());
                            return;
                        }
                    }
                });
                caller.start();
                Thread.sleep(100);
                long pid = Long.parseLong(provider.details("kv").get("pid"));
                long t = System.nanoTime();
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                caller.join();
                crashes.add((failedAt.get() - t) / 1e6);
                provider.reload("kv"); // a fresh start: the supervisor would mark it failed after 5 crashes a minute
            }
            System.out.printf("crash.first-failure %.2f ms%n", median(crashes));
        }
    }

    private static void awaitAnswer(KV kv) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            try {
                kv.get("bench");
                return;
            } catch (RuntimeException restarting) {
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
