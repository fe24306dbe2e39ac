package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.atrium.api.greeting.Greeter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
    static final List<String> MODULES = List.of("assemblyscript-greeter/greeter.wasm", "misbehaving/misbehave.wasm", "misbehaving/stuck.wasm",
            "compute/compute.wasm", "c-greeter/greeter.wasm", "c-files/files.wasm", "c-http/http.wasm", "c-abi/abi.wasm", "c-abi/plain.wasm",
            "c-host/host.wasm", "assemblyscript-vowels/count_vowels.wasm");

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

    static final com.google.gson.Gson GSON = new com.google.gson.Gson();

    /**
     * Runs calls in order on one plugin under Extism's JavaScript host (referee.mjs).
     *
     * @return each call's answer: "output TEXT" ("output " when it set none), or "error MESSAGE"
     */
    static List<String> referee(String module, String config, List<String[]> calls) throws Exception {
        return referee(module, config, calls, List.of());
    }

    /** As {@link #referee(String, String, List)}, with the host functions of a script of examples/wasm (referee.mjs says how). */
    static List<String> referee(String module, String config, List<String[]> calls, String hostFunctions) throws Exception {
        return referee(module, config, calls, List.of(build.resolve(hostFunctions).toString()));
    }

    private static List<String> referee(String module, String config, List<String[]> calls, List<String> more) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("node", "referee.mjs", EXAMPLES.resolve(module).toString(), config, GSON.toJson(calls)));
        command.addAll(more);
        String out = run(build, 120, command.toArray(String[]::new));
        List<String> answers = new java.util.ArrayList<>();
        for (var e : com.google.gson.JsonParser.parseString(out).getAsJsonArray()) {
            var o = e.getAsJsonObject();
            answers.add(o.has("error") ? "error " + o.get("error").getAsString()
                    : "output " + (o.get("output").isJsonNull() ? "" : o.get("output").getAsString()));
        }
        return answers;
    }

    /** The same answer from Atrium: a call's output, or the error the plugin set (or the call's failure). */
    static String atrium(Greeter plugin, String input) {
        try {
            return "output " + plugin.greet(input);
        } catch (io.atrium.api.PluginException e) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" failed with status -?\\d+: (.*)").matcher(e.getMessage());
            return "error " + (m.find() ? m.group(1) : e.getMessage());
        }
    }

    /**
     * Each of Extism's host functions, called the way Extism's C PDK calls them (examples/wasm/c-abi,
     * the C PDK README's examples among them), answers under Atrium as under Extism's own JavaScript
     * host: the input read at input_offset, lengths of blocks and of what is no block, errors, config,
     * variables and module state kept from call to call, logging, ten thousand allocations.
     */
    @Test
    void extismsJavaScriptRuntimeAgreesOnEveryHostFunction() throws Exception {
        String config = "{\"user\": \"Benjamin\", \"unicode\": \"ünï\", \"key\": \"clé\"}";
        String[][] calls = {
                {"greet", "Benjamin"}, {"greet", ""}, {"greet", "ünïcödé, and more than eight bytes"}, {"greet", "a".repeat(5000)},
                {"greet_checked", "benjamin"}, {"greet_checked", "BENJAMIN"}, {"greet_checked", "Zach"},
                {"config_user", ""},
                {"count", ""}, {"count", ""}, {"count", ""},
                {"log_stuff", ""},
                {"globals", ""}, {"globals", ""}, {"globals", ""},
                {"allocations", ""}, {"allocations", ""},
                {"count_vowels", "Hello, World!"}, {"count_vowels", ""}, {"count_vowels", "AEIOU aeiou ünï"},
                {"echo_u64", "0123456789abcdefgh"}, {"echo_u64", ""}, {"echo_u64", "ünïcödé"},
                {"probe", ""}, {"probe", "xyz"},
                {"var_roundtrip", "välue"},
        };
        Path folder = Files.createDirectories(work.resolve("abi-plugins"));
        Files.copy(EXAMPLES.resolve("c-abi/abi.wasm"), folder.resolve("abi.wasm"));
        Files.copy(EXAMPLES.resolve("c-abi/plain.wasm"), folder.resolve("plain.wasm"));
        java.util.Set<String> exports = new java.util.LinkedHashSet<>();
        for (String[] c : calls) {
            exports.add(c[0]);
        }
        for (String export : exports) {
            Files.writeString(folder.resolve(export + ".wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\","
                    + " \"wasm\": \"abi.wasm\", \"exports\": {\"greet\": \"" + export + "\"}, \"encoding\": \"raw\", \"config\": " + config + "}");
        }
        Files.writeString(folder.resolve("unconfigured.wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\","
                + " \"wasm\": \"abi.wasm\", \"exports\": {\"greet\": \"config_user\"}, \"encoding\": \"raw\"}");
        Files.writeString(folder.resolve("plain.wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\","
                + " \"wasm\": \"plain.wasm\", \"exports\": {\"greet\": \"nothing\"}, \"encoding\": \"raw\"}");
        List<String> referee = referee("c-abi/abi.wasm", config, Arrays.asList(calls));
        List<String> unconfigured = referee("c-abi/abi.wasm", "{}", List.<String[]>of(new String[] {"config_user", ""}));
        List<String> plain = referee("c-abi/plain.wasm", "{}", List.<String[]>of(new String[] {"nothing", ""}));
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("abi-data")).pluginDir(folder).start()) {
            for (int i = 0; i < calls.length; i++) {
                Greeter plugin = atrium.awaitService(Greeter.class, calls[i][0], Duration.ofSeconds(30));
                String shown = calls[i][1].length() > 40 ? calls[i][1].substring(0, 40) + "…" : calls[i][1];
                assertEquals(referee.get(i), atrium(plugin, calls[i][1]), "call " + i + ": " + calls[i][0] + "(" + shown + ")");
            }
            assertEquals(List.of("error Invalid key"), unconfigured);
            assertEquals(unconfigured.get(0), atrium(atrium.awaitService(Greeter.class, "unconfigured", Duration.ofSeconds(30)), ""));
            assertEquals(List.of("output "), plain, "a module that imports nothing");
            assertEquals(plain.get(0), atrium(atrium.awaitService(Greeter.class, "plain", Duration.ofSeconds(30)), ""));
        }
    }

    /**
     * A module calling a host function (examples/wasm/c-host, the C PDK's host-functions pattern) answers
     * under Atrium, given the function by a bundle's HostFunction service, as under Extism's JavaScript
     * host given its twin in JavaScript (c-host/hello-world.mjs).
     */
    @Test
    void extismsJavaScriptRuntimeAgreesOnAHostFunction() throws Exception {
        Path folder = Files.createDirectories(work.resolve("host-plugins"));
        Files.copy(WasmHostFunctionIT.helloWorld(work, "test.hello", "I64", ""), folder.resolve("hello.jar"));
        Files.copy(EXAMPLES.resolve("c-host/host.wasm"), folder.resolve("host.wasm"));
        Files.writeString(folder.resolve("vowels.wasm.json"), "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\","
                + " \"wasm\": \"host.wasm\", " + WasmHostFunctionIT.VOWELS + "}");
        List<String> inputs = List.of("Hello, World!", "", "AEIOU aeiou ünï", "a".repeat(5000));
        List<String> referee = referee("c-host/host.wasm", "{}", inputs.stream().map(i -> new String[] {"count_vowels", i}).toList(),
                "c-host/hello-world.mjs");
        assertEquals("output {\"count\": 3, \"host\": \"hello, vowels\"}", referee.get(0));
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("host-data")).pluginDir(folder).start()) {
            Greeter vowels = atrium.awaitService(Greeter.class, "vowels", Duration.ofSeconds(30));
            for (int i = 0; i < inputs.size(); i++) {
                assertEquals(referee.get(i), atrium(vowels, inputs.get(i)), "count_vowels(" + inputs.get(i).substring(0, Math.min(20, inputs.get(i).length())) + ")");
            }
        }
    }

    /**
     * An ordinary Extism plugin, built with Extism's AssemblyScript PDK and deployed by a manifest naming no Java
     * contract, answers by name from the shell and from Java as under Extism's JavaScript host: the running total it
     * keeps in a variable carries from call to call, its config is read, and a function it lacks is refused.
     */
    @Test
    void anExtismPluginWithNoJavaContractAnswersByNameAsExtismsJavaScriptRuntimeDoes() throws Exception {
        Path folder = Files.createDirectories(work.resolve("vowels-plugins"));
        Files.copy(EXAMPLES.resolve("assemblyscript-vowels/count_vowels.wasm"), folder.resolve("count_vowels.wasm"));
        Files.writeString(folder.resolve("vowels.wasm.json"), "{\"version\": \"1.0.0\", \"wasm\": \"count_vowels.wasm\"}");
        Files.writeString(folder.resolve("xyz.wasm.json"), "{\"version\": \"1.0.0\", \"wasm\": \"count_vowels.wasm\", \"config\": {\"vowels\": \"xyz\"}}");
        List<String> inputs = List.of("Hello, World!", "", "ünïcödé AEIOU", "a".repeat(3000), "xyzzy");
        List<String[]> calls = new java.util.ArrayList<>(inputs.stream().map(i -> new String[] {"count_vowels", i}).toList());
        calls.add(0, new String[] {"count_vowels", "Hello, World!"}); // the shell's call
        List<String> referee = referee("assemblyscript-vowels/count_vowels.wasm", "{}", calls);
        List<String> refereeXyz = referee("assemblyscript-vowels/count_vowels.wasm", "{\"vowels\": \"xyz\"}", calls);
        assertEquals("output {\"count\":3,\"total\":3,\"vowels\":\"aeiouAEIOU\"}", referee.get(0));
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("vowels-data")).pluginDir(folder).start()) {
            io.atrium.api.Invocable vowels = atrium.awaitService(io.atrium.api.Invocable.class, "vowels", Duration.ofSeconds(30));
            io.atrium.api.Invocable xyz = atrium.awaitService(io.atrium.api.Invocable.class, "xyz", Duration.ofSeconds(30));
            assertEquals(referee.get(0).substring("output ".length()) + "\n",
                    atrium.execute("plugin:call vowels count_vowels \"Hello, World!\"").output());
            assertEquals(refereeXyz.get(0), "output " + xyz.call("count_vowels", "Hello, World!"));
            for (int i = 0; i < inputs.size(); i++) {
                assertEquals(referee.get(i + 1), "output " + vowels.call("count_vowels", inputs.get(i)), "vowels: call " + (i + 1));
                assertEquals(refereeXyz.get(i + 1), "output " + xyz.call("count_vowels", inputs.get(i)), "xyz: call " + (i + 1));
            }
            io.atrium.api.PluginRejectedException none = org.junit.jupiter.api.Assertions.assertThrows(io.atrium.api.PluginRejectedException.class,
                    () -> vowels.call("count_consonants", "x"));
            assertEquals("plugin 'vowels': has no function 'count_consonants' (it has: count_vowels)", none.getMessage());
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
            List<String> names = List.of("World", "Dunyo", "\"quoted\" \\ ünïcödé", "");
            for (String module : List.of("assemblyscript-greeter/greeter.wasm", "c-greeter/greeter.wasm")) {
                List<String[]> calls = names.stream().map(n -> new String[] {"greet", "[" + GSON.toJson(n) + "]"}).toList();
                List<String> referee = referee(module, "{\"greeting\":\"Salom\"}", calls);
                for (int i = 0; i < names.size(); i++) {
                    assertEquals(referee.get(i), "output " + GSON.toJson(greeter.greet(names.get(i))), module + ": greet(" + names.get(i) + ")");
                }
            }
            List<String> ns = List.of("0", "1", "10", "25");
            List<String> referee = referee("compute/compute.wasm", "{}", ns.stream().map(n -> new String[] {"fib", n}).toList());
            for (int i = 0; i < ns.size(); i++) {
                assertEquals(referee.get(i), "output " + fib.greet(ns.get(i)), "fib(" + ns.get(i) + ")");
            }
        }
    }
}
