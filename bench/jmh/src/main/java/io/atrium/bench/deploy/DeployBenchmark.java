package io.atrium.bench.deploy;

import io.atrium.runtime.Atrium;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;

/**
 * Times what an operator sees: a plugin jar renamed into the watched folder until its Greeter service
 * is registered, a new version renamed over it until the new version's service is registered, the
 * file deleted until the bundle is uninstalled; and 1000 plugins dropped at once until all are active.
 *
 * <p>One mode per JVM, so memory figures are the deployer's own:
 * {@code DeployBenchmark atrium|fileinstall-2000|fileinstall-50 SAMPLE_JAR FILEINSTALL_JAR [RUNS] [BULK]}.
 * Prints one line per figure, {@code name value unit}, for bench/deploy.py to tabulate.
 */
public final class DeployBenchmark {
    private final BundleContext context;
    private final Path folder;
    private final Path staging;
    private final byte[] sample;
    private final ConcurrentHashMap<String, CountDownLatch> waits = new ConcurrentHashMap<>();
    private long sequence;
    /** A deployer that has not started every bulk plugin by then is reported as such. */
    private static final long BULK_LIMIT_S = 120;

    private DeployBenchmark(BundleContext context, Path folder, Path staging, byte[] sample) throws InvalidSyntaxException {
        this.context = context;
        this.folder = folder;
        this.staging = staging;
        this.sample = sample;
        // the system bundle sees every service: no service hooks apply to it
        context.addServiceListener(serviceListener(), "(objectClass=io.atrium.api.greeting.Greeter)");
        context.addBundleListener(bundleListener());
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        byte[] sample = Files.readAllBytes(Path.of(args[1]));
        Path fileinstall = Path.of(args[2]);
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        int bulk = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
        Path work = Files.createTempDirectory("atrium-deploy-bench");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Path staging = Files.createDirectories(work.resolve("staging"));
        Atrium.Builder builder = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data"));
        if (mode.equals("atrium")) {
            builder.pluginDir(folder);
        } else {
            String poll = mode.substring("fileinstall-".length());
            builder.bundle(fileinstall)
                    .frameworkProperty("felix.fileinstall.dir", folder.toString())
                    .frameworkProperty("felix.fileinstall.poll", poll)
                    .frameworkProperty("felix.fileinstall.noInitialDelay", "true")
                    .frameworkProperty("felix.fileinstall.filter", ".*\\.jar")
                    .frameworkProperty("felix.fileinstall.log.level", "1");
        }
        try (Atrium atrium = builder.start()) {
            DeployBenchmark bench = new DeployBenchmark(atrium.bundleContext(), folder, staging, sample);
            bench.latencies(mode, runs);
            bench.bulk(mode, bulk);
        }
        if (mode.equals("atrium")) {
            // the same full folder at a server's start: cold (a new data folder, every file read) and warm (unchanged)
            restart(mode, "cold", folder, work.resolve("data-cold"), bulk);
            restart(mode, "warm", folder, work.resolve("data"), bulk);
        }
    }

    /** Starts a server on a folder that already holds {@code count} bulk plugins, until all are active. */
    private static void restart(String mode, String kind, Path folder, Path data, int count) throws Exception {
        long t0 = System.nanoTime();
        try (Atrium atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(data).pluginDir(folder).start()) {
            long deadline = t0 + TimeUnit.SECONDS.toNanos(BULK_LIMIT_S);
            long active;
            while ((active = java.util.Arrays.stream(atrium.bundleContext().getBundles()).filter(b -> b.getState() == Bundle.ACTIVE
                    && b.getSymbolicName() != null && b.getSymbolicName().startsWith("bench.bulk.")).count()) < count) {
                if (System.nanoTime() > deadline) {
                    System.out.println(mode + " start-" + kind + "-" + count + "-active -1 ms (only " + active + ")");
                    return;
                }
                Thread.sleep(5);
            }
            System.out.println(mode + " start-" + kind + "-" + count + "-active " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    private void latencies(String mode, int runs) throws Exception {
        long[] install = new long[runs];
        long[] update = new long[runs];
        long[] uninstall = new long[runs];
        for (int i = 0; i < runs; i++) {
            String bsn = "bench.latency." + i;
            Path v1 = jar(bsn, "1.0.0");
            Path v2 = jar(bsn, "2.0.0");
            install[i] = timed("service " + bsn + " 1.0.0", () -> move(v1, bsn + ".jar"));
            update[i] = timed("service " + bsn + " 2.0.0", () -> move(v2, bsn + ".jar"));
            uninstall[i] = timed("uninstalled " + bsn, () -> Files.delete(folder.resolve(bsn + ".jar")));
        }
        report(mode, "install", install);
        report(mode, "update", update);
        report(mode, "uninstall", uninstall);
    }

    private void bulk(String mode, int count) throws Exception {
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            jars.add(jar("bench.bulk." + i, "1.0.0"));
        }
        CountDownLatch all = new CountDownLatch(count);
        waits.put("bulk", all);
        long t0 = System.nanoTime();
        for (Path jar : jars) {
            move(jar, jar.getFileName().toString());
        }
        if (!all.await(BULK_LIMIT_S, TimeUnit.SECONDS)) {
            System.out.println(mode + " bulk-" + count + "-active -1 ms (only " + (count - all.getCount()) + " of " + count
                    + " active after " + BULK_LIMIT_S + " s)");
            return;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.gc();
        Thread.sleep(500);
        System.out.println(mode + " bulk-" + count + "-active " + ms + " ms");
        System.out.println(mode + " bulk-" + count + "-rss " + rssMiB() + " MiB");
    }

    private interface Action {
        void run() throws IOException;
    }

    private long timed(String event, Action action) throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        waits.put(event, latch);
        long t0 = System.nanoTime();
        action.run();
        if (!latch.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no " + event + " within 60 s");
        }
        return System.nanoTime() - t0;
    }

    private ServiceListener serviceListener() {
        return event -> {
            if (event.getType() == ServiceEvent.REGISTERED && event.getServiceReference().getProperty(io.atrium.api.PluginProperties.FACADE) == null) {
                Bundle b = event.getServiceReference().getBundle();
                release("service " + b.getSymbolicName() + " " + b.getVersion());
            }
        };
    }

    private BundleListener bundleListener() {
        return event -> {
            String bsn = event.getBundle().getSymbolicName();
            if (event.getType() == BundleEvent.UNINSTALLED) {
                release("uninstalled " + bsn);
            } else if (event.getType() == BundleEvent.STARTED && bsn != null && bsn.startsWith("bench.bulk.")) {
                CountDownLatch all = waits.get("bulk");
                if (all != null) {
                    all.countDown();
                }
            }
        };
    }

    private void release(String event) {
        CountDownLatch latch = waits.remove(event);
        if (latch != null) {
            latch.countDown();
        }
    }

    /** Write-then-rename: the documented way to deploy, and the one both deployers handle. */
    private void move(Path jar, String name) throws IOException {
        Files.move(jar, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The English sample under another symbolic name and version: a real DS plugin bundle. */
    private Path jar(String bsn, String version) throws IOException {
        Path out = staging.resolve(bsn + "-" + version + ".jar");
        try (JarInputStream in = new JarInputStream(new java.io.ByteArrayInputStream(sample))) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().put(new Attributes.Name("Bundle-SymbolicName"), bsn);
            mf.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (OutputStream file = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(file, mf)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    jar.putNextEntry(new JarEntry(e.getName()));
                    if (e.getName().startsWith("OSGI-INF/") && e.getName().endsWith(".xml")) {
                        // each plugin its own name, as in a real folder
                        String xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                        jar.write(xml.replace("\"english\"", "\"" + bsn + "\"").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    } else {
                        in.transferTo(jar);
                    }
                }
            }
        }
        // Versions of one plugin have the same size; FileInstall compares size and millisecond times
        // only, so each file gets its own millisecond or FileInstall would miss the update.
        Files.setLastModifiedTime(out, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + sequence++));
        return out;
    }

    private static void report(String mode, String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%s %s-p50 %.1f ms%n", mode, what, sorted[sorted.length / 2] / 1e6);
        System.out.printf("%s %s-p95 %.1f ms%n", mode, what, sorted[(int) Math.ceil(sorted.length * 0.95) - 1] / 1e6);
    }

    private static long rssMiB() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/status"))) {
            for (String line : new String(in.readAllBytes()).split("\n")) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        }
        return -1;
    }
}
