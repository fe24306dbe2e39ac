package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.atrium.api.CallStatistics;
import io.atrium.api.Invocable;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginStatistics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;

/**
 * Plugins with no Java contract: a manifest that names none deploys an {@link Invocable}, whose functions (a
 * process plugin's methods, a wasm module's exports) are called by name from Java, the shell and the HTTP API,
 * counted per declared function and never per name a caller makes up.
 */
class FunctionsIT extends ServerWithPluginFolder {
    private final HttpClient http = HttpClient.newHttpClient();

    /** A Python plugin with no contract; it has a method (sub) its manifest does not declare. */
    void calc(String functions) throws Exception {
        Files.writeString(folder.resolve("calc.py"), """
                import os, sys
                sys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])
                from atrium_plugin import serve
                def add(a, b): return a + b
                def shout(text): return text.upper() + "!"
                def sub(a, b): return a - b
                serve(name="calc", version="1.0.0", contract=None, methods={"add": add, "shout": shout, "sub": sub})
                """);
        drop("calc.plugin.json", """
                {"version": "1.0.0", "command": ["python3", "calc.py"], "env": {"ATRIUM_SDK_PYTHON": "%s"}%s}
                """.formatted(ProcessPluginIT.SDK, functions == null ? "" : ", \"functions\": " + functions));
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        URI base = atrium.httpEndpoint().orElseThrow();
        String token = atrium.execute("web:token").output().strip();
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** @return the names a plugin's calls are counted under */
    Set<String> counted(String plugin) throws Exception {
        var context = atrium.bundleContext();
        // all references: the metrics' component is also registered under a class private to its bundle
        ServiceReference<?> ref = context.getAllServiceReferences(PluginStatistics.class.getName(), null)[0];
        PluginStatistics stats = (PluginStatistics) context.getService(ref);
        try {
            return stats.methods().stream().filter(c -> c.plugin().equals(plugin)).map(CallStatistics::method).collect(Collectors.toCollection(TreeSet::new));
        } finally {
            context.ungetService(ref);
        }
    }

    /** @return the functions the facade of a plugin's service declares */
    java.util.List<String> functions(String plugin) {
        try {
            ServiceReference<?>[] refs = atrium.bundleContext().getServiceReferences(Invocable.class.getName(),
                    "(&(" + PluginProperties.NAME + "=" + plugin + ")(" + PluginProperties.FACADE + "=true))");
            return refs == null ? java.util.List.of() : Arrays.asList((String[]) refs[0].getProperty(PluginProperties.FUNCTIONS));
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** @return a module exporting one function of no parameters and no result (a plain Extism function) under each name */
    static byte[] module(java.util.List<String> exports) {
        java.io.ByteArrayOutputStream section = new java.io.ByteArrayOutputStream();
        leb(section, exports.size());
        for (String name : exports) {
            byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            leb(section, n.length);
            section.writeBytes(n);
            section.write(0); // a function
            section.write(0); // the module's one
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0}); // type () -> (), one function of it
        out.write(7);
        leb(out, section.size());
        out.writeBytes(section.toByteArray());
        out.writeBytes(new byte[] {10, 4, 1, 2, 0, 0x0b}); // its body: nothing
        return out.toByteArray();
    }

    private static void leb(java.io.ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }

    String rejected(Invocable plugin, String function, String input) {
        return assertThrows(PluginRejectedException.class, () -> plugin.call(function, input)).getMessage();
    }

    @Test
    void aProcessPluginWithNoContractIsCalledByNameFromJavaTheShellAndHttp() throws Exception {
        calc("[\"add\", \"shout\"]");
        Invocable calc = atrium.awaitService(Invocable.class, "calc", Duration.ofSeconds(30));
        assertEquals("5", calc.call("add", "[2, 3]"));
        assertEquals("5", calc.call("add", "{\"a\": 2, \"b\": 3}"), "an object: named arguments");
        assertEquals("\"HI!\"", calc.call("shout", "\"hi\""), "one JSON value: the one argument");
        assertEquals("plugin 'calc': has no function 'sub' (it has: add, shout)", rejected(calc, "sub", "[5, 3]"),
                "a method the manifest does not declare is not called, though the plugin has it");
        assertEquals("plugin 'calc': the input of shout is not JSON: 'hi' (a string is quoted: \"World\"; several arguments are an array: "
                + "[\"World\", 2])", rejected(calc, "shout", "hi"));
        assertEquals("plugin 'calc': 'atrium.handshake' is not a function name (letters, digits and '_', not starting with a digit)",
                rejected(calc, "atrium.handshake", "{}"));

        assertEquals("5\n", atrium.execute("plugin:call calc add '[2,3]'").output());
        assertTrue(atrium.execute("plugin:call calc shout a b").output().contains("plugin 'calc' function 'shout' takes one input, 2 given"),
                atrium.execute("plugin:call calc shout a b").output());

        HttpResponse<String> added = post("/api/plugins/calc/add", "[20, 22]");
        assertEquals(200, added.statusCode(), added.body());
        assertEquals(42, JsonParser.parseString(added.body()).getAsJsonObject().get("result").getAsInt());
        HttpResponse<String> sub = post("/api/plugins/calc/sub", "[1, 1]");
        assertEquals(400, sub.statusCode(), sub.body());
        assertEquals("plugin 'calc': has no function 'sub' (it has: add, shout)", JsonParser.parseString(sub.body()).getAsJsonObject().get("error").getAsString());

        assertEquals(Set.of("add", "shout", "call"), counted("calc"), "the declared functions, and call for the refused names");
        assertEquals(java.util.List.of("add", "shout"), functions("calc"));
    }

    @Test
    void anInputSpreadOverLinesIsOneRequestAndInjectsNoMessage() throws Exception {
        calc("[\"add\"]");
        Invocable calc = atrium.awaitService(Invocable.class, "calc", Duration.ofSeconds(30));
        // JSON allows line breaks between tokens: sent as they came they ended the request's line (the helper,
        // reading a line that is no JSON, died) and made the rest of the input a message of its own
        assertEquals("5", calc.call("add", "[2,\n3]"));
        HttpResponse<String> injected = post("/api/plugins/calc/add", "[2,\n{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"atrium.shutdown\"}\n]");
        assertEquals(500, injected.statusCode(), "the object is add's second argument, which the plugin cannot add: " + injected.body());
        assertTrue(injected.body().contains("TypeError"), injected.body());
        assertEquals("7", calc.call("add", "[3, 4]"));
        assertEquals(0, atrium.registry().problems().size(), atrium.registry().problems().toString());
    }

    @Test
    void aProcessPluginThatDeclaresNoFunctionsIsCalledByAnyNameAndCountedUnderCall() throws Exception {
        calc(null);
        Invocable calc = atrium.awaitService(Invocable.class, "calc", Duration.ofSeconds(30));
        assertEquals("2", calc.call("sub", "[5, 3]"));
        assertTrue(assertThrows(io.atrium.api.PluginException.class, () -> calc.call("mul", "[5, 3]")).getMessage().contains("no method 'mul'"));
        assertEquals(Set.of("call"), counted("calc"));
    }

    @Test
    void aRedeployThatDeclaresAnotherFunctionCountsItFromThen() throws Exception {
        calc("[\"add\"]");
        Invocable calc = atrium.awaitService(Invocable.class, "calc", Duration.ofSeconds(30));
        assertEquals("3", calc.call("add", "[1, 2]"));
        rejected(calc, "shout", "\"x\"");
        assertEquals(Set.of("add", "call"), counted("calc"));
        calc("[\"add\", \"shout\"]"); // the same plugin, its manifest changed: updated in place, under the same facade
        await("the plugin's service declares shout", () -> functions("calc").contains("shout"));
        assertEquals("\"X!\"", calc.call("shout", "\"x\""));
        assertEquals(Set.of("add", "shout", "call"), counted("calc"), "the facade observes the functions its plugin declares now");
    }

    @Test
    void anExtismModuleWithNoContractAnswersOverHttpAndACallerCannotGrowItsMetrics() throws Exception {
        place(WasmPluginFolder.EXAMPLES.resolve("assemblyscript-vowels/count_vowels.wasm"), "count_vowels.wasm");
        drop("vowels.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"count_vowels.wasm\"}");
        Invocable vowels = atrium.awaitService(Invocable.class, "vowels", Duration.ofSeconds(30));
        HttpResponse<String> counted = post("/api/plugins/vowels/count_vowels", "Hello, World!");
        assertEquals(200, counted.statusCode(), counted.body());
        JsonObject result = JsonParser.parseString(counted.body()).getAsJsonObject().getAsJsonObject("result");
        assertEquals(JsonParser.parseString("{\"count\":3,\"total\":3,\"vowels\":\"aeiouAEIOU\"}"), result, "the module's JSON, as JSON");
        assertEquals("{\"count\":1,\"total\":4,\"vowels\":\"aeiouAEIOU\"}", vowels.call("count_vowels", "ü and"), "its total carries");
        for (int i = 0; i < 500; i++) {
            rejected(vowels, "made_up_" + i, "");
        }
        assertEquals("plugin 'vowels': has no function 'abort' (it has: count_vowels)", rejected(vowels, "abort", ""),
                "an export that is not an Extism function is not callable");
        assertEquals(Set.of("count_vowels", "call"), counted("vowels"));
        assertTrue(atrium.execute("plugin:info vowels").output().lines().anyMatch(l -> l.matches("functions\\s+count_vowels")),
                atrium.execute("plugin:info vowels").output());
    }

    @Test
    void anOutputNestedTooDeepAnswersOverHttpAsText() throws Exception {
        place(WasmPluginFolder.EXAMPLES.resolve("misbehaving/misbehave.wasm"), "misbehave.wasm");
        drop("echo.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"misbehave.wasm\"}");
        atrium.awaitService(Invocable.class, "echo", Duration.ofSeconds(30));
        // the module's text, JSON but nested deeper than the transports take from a plugin: rendered as JSON,
        // it overflowed the server's stack (a 500 page of HTML, not the API's JSON)
        String deep = "[".repeat(20_000) + "]".repeat(20_000);
        HttpResponse<String> echoed = post("/api/plugins/echo/echo", deep);
        assertEquals(200, echoed.statusCode(), echoed.body().substring(0, Math.min(200, echoed.body().length())));
        assertEquals(deep, JsonParser.parseString(echoed.body()).getAsJsonObject().get("result").getAsString());
        HttpResponse<String> shallow = post("/api/plugins/echo/echo", "[[1]]");
        assertEquals(JsonParser.parseString("[[1]]"), JsonParser.parseString(shallow.body()).getAsJsonObject().get("result"));
    }

    @Test
    void aFunctionThatSetsNoOutputAnswersNothingInItsEncoding() throws Exception {
        place(WasmPluginFolder.EXAMPLES.resolve("c-abi/plain.wasm"), "plain.wasm");
        drop("raw.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"plain.wasm\"}");
        drop("json.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"plain.wasm\", \"encoding\": \"json\"}");
        assertEquals("", atrium.awaitService(Invocable.class, "raw", Duration.ofSeconds(30)).call("nothing", "x"), "Extism's empty output");
        assertEquals("null", atrium.awaitService(Invocable.class, "json", Duration.ofSeconds(30)).call("nothing", "[]"),
                "a plugin of JSON answers JSON, as a process plugin's None is null");
    }

    @Test
    void manifestsMisusingFunctionsAreRefusedInOneLine() throws Exception {
        place(WasmPluginFolder.EXAMPLES.resolve("assemblyscript-vowels/count_vowels.wasm"), "count_vowels.wasm");
        drop("missing.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"count_vowels.wasm\", \"functions\": [\"count_vowels\", \"nope\"]}");
        drop("mapped.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"count_vowels.wasm\", \"exports\": {\"greet\": \"count_vowels\"}}");
        drop("twice.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"count_vowels.wasm\", \"functions\": [\"count_vowels\", \"count_vowels\"]}");
        drop("contract.plugin.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"command\": [\"python3\"], "
                + "\"functions\": [\"greet\"]}");
        drop("dotted.plugin.json", "{\"version\": \"1.0.0\", \"command\": [\"python3\"], \"functions\": [\"atrium.ping\"]}");
        var expected = java.util.Map.of(
                "missing.wasm.json", "was not deployed: count_vowels.wasm exports no function 'nope'",
                "mapped.wasm.json", "is not a valid wasm plugin manifest: field 'exports': maps a contract's methods to exports, and this plugin "
                        + "has no contract (its exports are called by name; 'functions' lists those it may be called by)",
                "twice.wasm.json", "is not a valid wasm plugin manifest: field 'functions': a function is listed twice",
                "contract.plugin.json", "is not a valid process plugin manifest: field 'functions': only a plugin with no contract declares "
                        + "functions (the methods of Greeter are its functions); drop 'contract' or 'functions'",
                "dotted.plugin.json", "is not a valid process plugin manifest: field 'functions': 'atrium.ping' is not a function name "
                        + "(letters, digits and '_', not starting with a digit, at most 128)");
        expected.forEach((file, reason) -> await(() -> file + " is refused with: " + reason + "\n" + log,
                () -> logs.contains("plugin file " + file + " " + reason)));
    }

    @Test
    void wasisEntryPointsAndTheToolchainsNamesAreNoFunctionsEvenListed() throws Exception {
        Files.write(folder.resolve("entry.wasm"), module(java.util.List.of("_start", "_initialize", "__wasm_call_ctors", "run")));
        drop("entry.wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"entry.wasm\"}");
        Invocable entry = atrium.awaitService(Invocable.class, "entry", Duration.ofSeconds(30));
        assertEquals(java.util.List.of("run"), functions("entry"));
        assertEquals("", entry.call("run", ""));
        // as docs/wasm.md says: each listed function must be one of those, or the manifest is refused (calling _start
        // again would run a WASI command's main once more, _initialize a reactor's set-up)
        for (String name : new String[] {"_start", "_initialize", "__wasm_call_ctors"}) {
            drop("listed" + name + ".wasm.json", "{\"version\": \"1.0.0\", \"wasm\": \"entry.wasm\", \"functions\": [\"run\", \"" + name + "\"]}");
            String reason = "is not a valid wasm plugin manifest: field 'functions': '" + name + "' is not called by name (WASI's _start and "
                    + "_initialize, and the toolchains' names starting with __, are not functions)";
            await(() -> name + " is refused with: " + reason + "\n" + log, () -> logs.contains("plugin file listed" + name + ".wasm.json " + reason));
        }
    }

    @Test
    void aPluginOfAContractThatAnnouncesNoneIsRefused() throws Exception {
        python("silent", """
                from atrium_plugin import serve
                serve(name="silent", version="1.0.0", contract=None, methods={"greet": lambda who: "hi"})
                """, "");
        await(() -> "silent is refused: " + atrium.registry().problems(), () -> atrium.registry().problems().stream().anyMatch(p ->
                p.plugin().equals("silent") && p.reason().equals("sent a handshake without its contract (its manifest says io.atrium.api.greeting.Greeter)")));
    }
}
