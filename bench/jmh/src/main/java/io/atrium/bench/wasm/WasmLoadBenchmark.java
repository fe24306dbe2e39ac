package io.atrium.bench.wasm;

import io.atrium.api.greeting.Greeter;
import io.atrium.runtime.Atrium;
import io.atrium.spi.PluginProvider;
import io.atrium.transport.support.Seal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.osgi.framework.ServiceReference;

/**
 * Module load times through the wasm transport: the first deployment (parse, check, compile to
 * bytecode, instantiate) as plugin:info reports it, then the median of 21 reloads (the compiled
 * classes come from the cache by the module's digest) and of 21 reloads with the interpreter; then
 * what checking a cache entry's seal costs (HMAC-SHA256 over it, as every load from the cache does),
 * on each entry written and on made-up entries of a large module's size.
 * {@code WasmLoadBenchmark EXAMPLES_DIR} prints {@code name value unit} lines.
 */
public final class WasmLoadBenchmark {
    public static void main(String[] args) throws Exception {
        Path examples = Path.of(args[0]).resolve("wasm");
        Path work = Files.createTempDirectory("atrium-wasm-load");
        Path folder = Files.createDirectories(work.resolve("plugins"));
        String[][] modules = {{"assemblyscript", "assemblyscript-greeter/greeter.wasm"}, {"c", "c-greeter/greeter.wasm"},
                {"compute", "compute/compute.wasm"}};
        for (String[] m : modules) {
            Files.copy(examples.resolve(m[1]), folder.resolve(m[0] + ".wasm"));
            for (String engine : new String[] {"compiled", "interpreted"}) {
                Files.writeString(folder.resolve(m[0] + "-" + engine + ".wasm.json"), "{\"version\": \"1\", \"contract\": "
                        + "\"io.atrium.api.greeting.Greeter\", \"wasm\": \"" + m[0] + ".wasm\", \"engine\": \"" + engine + "\"}");
            }
        }
        try (Atrium atrium = Atrium.builder().http("127.0.0.1", -1).dataDir(work.resolve("data")).pluginDir(folder).start()) {
            // the transport may register after start() returns: look for it once a plugin of its is there
            atrium.awaitService(Greeter.class, modules[0][0] + "-compiled", Duration.ofSeconds(30));
            PluginProvider wasm = null;
            for (ServiceReference<PluginProvider> r : atrium.bundleContext().getServiceReferences(PluginProvider.class, null)) {
                PluginProvider p = atrium.bundleContext().getService(r);
                if (p.getClass().getName().contains("wasm")) {
                    wasm = p;
                }
            }
            for (String[] m : modules) {
                for (String engine : new String[] {"compiled", "interpreted"}) {
                    String name = m[0] + "-" + engine;
                    atrium.awaitService(Greeter.class, name, Duration.ofSeconds(30));
                    System.out.printf("%s.size %d bytes%n", m[0], Files.size(folder.resolve(m[0] + ".wasm")));
                    System.out.printf("%s.first-load %s%n", name, wasm.details(name).get("load time"));
                    double[] t = new double[21];
                    for (int i = 0; i < t.length; i++) {
                        long s = System.nanoTime();
                        wasm.reload(name);
                        t[i] = (System.nanoTime() - s) / 1e6;
                    }
                    Arrays.sort(t);
                    System.out.printf("%s.reload %.2f ms%n", name, t[t.length / 2]);
                }
            }
        }
        sealCost(work.resolve("data"));
    }

    /** The seal check alone: the entry's bytes are read by the cache whether or not it checks them. */
    private static void sealCost(Path data) throws Exception {
        Seal seal = new Seal(Files.createTempDirectory("atrium-seal").resolve("seal.key"));
        java.util.List<Path> entries;
        try (var files = Files.walk(data)) {
            entries = files.filter(p -> p.getFileName().toString().endsWith(".sealed")).sorted().toList();
        }
        for (Path entry : entries) {
            byte[] sealed = Files.readAllBytes(entry);
            System.out.printf("seal.entry-%d-bytes %.3f ms%n", sealed.length, check(seal, sealed, 201));
        }
        java.util.Random random = new java.util.Random(1);
        for (int mb : new int[] {1, 16, 64}) {
            byte[] sealed = new byte[mb << 20];
            random.nextBytes(sealed);
            System.out.printf("seal.made-up-%d-MiB %.2f ms%n", mb, check(seal, sealed, 11));
        }
    }

    /** @return the median time of checking a seal over these bytes, in ms, after as many rounds to warm up */
    private static double check(Seal seal, byte[] sealed, int rounds) throws Exception {
        double[] t = new double[rounds];
        for (int warm = 0; warm < 2; warm++) {
            for (int i = 0; i < t.length; i++) {
                long s = System.nanoTime();
                byte[] classes = Arrays.copyOfRange(sealed, Seal.LENGTH, sealed.length);
                seal.matches("wasm-compiled", classes, Arrays.copyOf(sealed, Seal.LENGTH));
                t[i] = (System.nanoTime() - s) / 1e6;
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }
}
