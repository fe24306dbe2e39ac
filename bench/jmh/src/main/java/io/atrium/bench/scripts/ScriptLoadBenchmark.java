package io.atrium.bench.scripts;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import io.atrium.spi.PluginProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import org.osgi.framework.ServiceReference;

/**
 * Script plugins' load and reload times: the first load as plugin:info reports it, then for 21 edits of
 * the file (written beside it and moved into place, as an operator's editor or deploy tool does) the
 * time from the move to the first call the new version answers, and 21 reloads by the shell's
 * {@code plugin:reload} (the text parsed and its top level run again); then the heap each loaded plugin keeps
 * (50 more of each language deployed, the heap after a collection compared).
 * {@code ScriptLoadBenchmark SCRIPTS_DIR} (bench/scripts) prints {@code name value unit} lines.
 */
public final class ScriptLoadBenchmark {
    private static final int RUNS = 21;

    public static void main(String[] args) throws Exception {
        Path scripts = Path.of(args[0]);
        Path work = Files.createTempDirectory("atrium-script-load");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        String[][] plugins = {{"js", "trivial.js", ".js"}, {"lua", "trivial.lua", ".lua"}};
        for (String[] p : plugins) {
            Files.copy(scripts.resolve(p[1]), folder.resolve(p[0] + p[2]));
        }
        try (Atrium atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start()) {
            atrium.awaitService(Greeter.class, "js", Duration.ofSeconds(30));
            PluginProvider transport = null;
            for (ServiceReference<PluginProvider> r : atrium.bundleContext().getServiceReferences(PluginProvider.class, null)) {
                PluginProvider p = atrium.bundleContext().getService(r);
                if (p.getClass().getName().contains("script")) {
                    transport = p;
                }
            }
            for (String[] p : plugins) {
                String name = p[0];
                Greeter g = atrium.awaitService(Greeter.class, name, Duration.ofSeconds(30));
                System.out.printf("%s.first-load %s%n", name, transport.details(name).get("load time"));
                String text = Files.readString(scripts.resolve(p[1]));
                double[] edit = new double[RUNS];
                for (int i = 0; i < RUNS; i++) {
                    String want = "Hello v" + i + ", World!";
                    String next = text.replace("\"Hello, \"", "\"Hello v" + i + ", \"");
                    Path part = folder.resolve("." + name + p[2]);
                    Files.writeString(part, next);
                    long s = System.nanoTime();
                    Files.move(part, folder.resolve(name + p[2]), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    while (!g.greet("World").equals(want)) {
                        Thread.onSpinWait();
                        if (System.nanoTime() - s > 30_000_000_000L) {
                            throw new IllegalStateException(name + ": version " + i + " did not answer within 30 s");
                        }
                    }
                    edit[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(edit);
                System.out.printf("%s.edit-to-answer %.1f ms%n", name, edit[RUNS / 2]);
                System.out.printf("%s.edit-to-answer-max %.1f ms%n", name, edit[RUNS - 1]);
                double[] reload = new double[RUNS];
                for (int i = 0; i < RUNS; i++) {
                    long s = System.nanoTime();
                    transport.reload(name);
                    reload[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(reload);
                System.out.printf("%s.reload %.2f ms%n", name, reload[RUNS / 2]);
            }
            // what each loaded script keeps: the heap after a collection, before and after 50 more of each
            long base = heapAfterGc();
            for (String[] p : plugins) {
                String text = Files.readString(scripts.resolve(p[1]));
                for (int i = 0; i < COPIES; i++) {
                    Files.writeString(folder.resolve("." + p[0] + "-" + i + p[2]), text);
                    Files.move(folder.resolve("." + p[0] + "-" + i + p[2]), folder.resolve(p[0] + "-" + i + p[2]), StandardCopyOption.ATOMIC_MOVE);
                }
                for (int i = 0; i < COPIES; i++) {
                    atrium.awaitService(Greeter.class, p[0] + "-" + i, Duration.ofSeconds(60)).greet("World");
                }
                long now = heapAfterGc();
                System.out.printf("%s.heap-per-plugin %d KiB%n", p[0], (now - base) / COPIES >> 10);
                base = now;
            }
        }
    }

    private static final int COPIES = 50;

    private static long heapAfterGc() throws InterruptedException {
        java.lang.management.MemoryMXBean m = java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return m.getHeapMemoryUsage().getUsed();
    }
}
