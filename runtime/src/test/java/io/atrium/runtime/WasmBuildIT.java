package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.atrium.api.greeting.Greeter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed modules of examples/wasm are what their sources build to, byte for byte (the toolchains
 * installed by examples/wasm/install-toolchains.sh: npm ci with the committed lock file, Debian's clang
 * and lld; then npm run build and build-c.sh), and Extism's own JavaScript runtime gives the same answers
 * as Atrium on them. Needs node and npm, and root or clang already installed.
 */
class WasmBuildIT {
    static final Path EXAMPLES = WasmPluginIT.EXAMPLES;
    static final List<String> MODULES = List.of("assemblyscript-greeter/greeter.wasm", "misbehaving/misbehave.wasm", "misbehaving/stuck.wasm", "compute/compute.wasm",
            "c-greeter/greeter.wasm", "c-files/files.wasm", "c-http/http.wasm");

    @TempDir
    static Path work;
    static Path build;

    @BeforeAll
    static void buildFromSource() throws Exception {
        Assumptions.assumeTrue(onPath("npm") && onPath("node"), "needs node and npm to rebuild examples/wasm");
        build = work.resolve("wasm");
        try (var files = Files.walk(EXAMPLES)) {
            for (Path p : files.toList()) {
                Path rel = EXAMPLES.relativize(p);
                if (rel.toString().startsWith("node_modules") || p.toString().endsWith(".wasm")) {
                    continue;
                }
                Path target = build.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Process install = new ProcessBuilder("sh", build.resolve("install-toolchains.sh").toString()).redirectErrorStream(true).start();
        String log = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(install.waitFor() != 3, "the toolchains cannot be installed here: " + log);
        assertEquals(0, install.exitValue(), "install-toolchains.sh failed:\n" + log);
        run(build, 300, "npm", "run", "build");
        run(build, 300, "sh", "build-c.sh");
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    static String run(Path dir, long seconds, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(false).start();
        p.getOutputStream().close();
        var err = new java.util.concurrent.CompletableFuture<String>();
        new Thread(() -> {
            try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                err.complete(e.toString());
            }
        }).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " took over " + seconds + " s");
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out + err.get());
        return out;
    }

    @Test
    void theCommittedModulesAreWhatTheirSourcesBuildTo() throws Exception {
        for (String m : MODULES) {
            assertArrayEquals(Files.readAllBytes(EXAMPLES.resolve(m)), Files.readAllBytes(build.resolve(m)),
                    m + " differs from what its source builds to: run 'npm ci && npm run build' in examples/wasm and commit it");
        }
    }

    @Test
    void extismsJavaScriptRuntimeAgreesWithAtrium() throws Exception {
        Path folder = Files.createDirectories(work.resolve("plugins"));
        Files.copy(EXAMPLES.resolve("assemblyscript-greeter/greeter.wasm"), folder.resolve("greeter.wasm"));
        Files.writeString(folder.resolve("greeter.wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\","
                + " \"wasm\": \"greeter.wasm\", \"config\": {\"greeting\": \"Salom\"}}");
        Files.copy(EXAMPLES.resolve("compute/compute.wasm"), folder.resolve("compute.wasm"));
        Files.writeString(folder.resolve("fib.wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\","
                + " \"wasm\": \"compute.wasm\", \"exports\": {\"greet\": \"fib\"}, \"encoding\": \"raw\"}");
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start()) {
            Greeter greeter = atrium.awaitService(Greeter.class, "greeter", Duration.ofSeconds(30));
            Greeter fib = atrium.awaitService(Greeter.class, "fib", Duration.ofSeconds(30));
            for (String module : List.of("assemblyscript-greeter/greeter.wasm", "c-greeter/greeter.wasm")) {
                for (String name : List.of("World", "Dunyo", "\"quoted\" \\ ünïcödé", "")) {
                    String input = "[" + new com.google.gson.Gson().toJson(name) + "]";
                    String referee = run(build, 60, "node", "referee.mjs", EXAMPLES.resolve(module).toString(), "greet", input,
                            "{\"greeting\":\"Salom\"}");
                    assertEquals(referee, new com.google.gson.Gson().toJson(greeter.greet(name)), module + ": greet(" + name + ")");
                }
            }
            for (String n : List.of("0", "1", "10", "25")) {
                String referee = run(build, 60, "node", "referee.mjs", EXAMPLES.resolve("compute/compute.wasm").toString(), "fib", n);
                assertEquals(referee, fib.greet(n), "fib(" + n + ")");
            }
        }
    }
}
