package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.CallSpan;
import io.atrium.api.CallStatistics;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginException;
import io.atrium.api.PluginTimeoutException;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.atrium.api.greeting.Greeter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every plugin call counted and timed at one point, whatever its transport, read back over real HTTP and through the API's services. */
class ObservabilityIT extends ServerWithPluginFolder {
    private final HttpClient http = HttpClient.newHttpClient();

    URI endpoint() throws Exception {
        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        return atrium.httpEndpoint().orElseThrow();
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(endpoint().resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A plugin method's numbers as plugin:stats shows them: the plugin's transport, then calls, errors, timeouts and crashes. */
    List<Object> statsRow(String plugin, String method) {
        CallStatistics s = PluginFacts.calls(atrium, plugin, method).orElseThrow(() -> new AssertionError(plugin + "." + method + " was never called"));
        return List.of(PluginFacts.plugin(atrium, plugin).orElseThrow().transportId(), s.calls(), s.count("error"), s.count("timeout"), s.count("crash"));
    }

    void wasm(String name, Path module, String fields) throws Exception {
        Path part = folder.resolve("." + name + ".wasm");
        Files.copy(module, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, folder.resolve(name + ".wasm"), StandardCopyOption.ATOMIC_MOVE);
        drop(name + ".wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"" + name
                + ".wasm\"" + (fields.isEmpty() ? "" : ", " + fields) + "}");
    }

    /**
     * The samples (in-process); a process plugin whose greet raises for "boom", hangs for "sleep",
     * exits for "die" and otherwise runs {@code otherwise}; a wasm greeter and a wasm module that traps.
     */
    void oneOfEachTransport(String process, String otherwise, int callTimeoutMs) throws Exception {
        TestPlugins.samplePlugins(folder);
        helperPlugin(process, """
                if who == "boom":
                    raise PluginError("boom")
                if who == "sleep":
                    time.sleep(10)
                if who == "die":
                    os._exit(3)
                """ + otherwise, "\"limits\": {\"callTimeoutMs\": " + callTimeoutMs + "}");
        wasm("wasm-greeter", WasmPluginIT.GREETER, "");
        wasm("wasm-trap", WasmPluginIT.MISBEHAVE, "\"exports\": {\"greet\": \"trap\"}");
    }

    @Test
    void everyCallIsCountedAndTimedByOutcomeWhateverItsTransport() throws Exception {
        oneOfEachTransport("moody", "return 'hi ' + who", 1000);

        Greeter english = greeter("english");
        assertEquals("Hello, A!", english.greet("A"));
        assertEquals("Hello, B!", english.greet("B"));
        Greeter moody = greeter("moody");
        assertEquals("hi x", moody.greet("x"));
        assertThrows(PluginException.class, () -> moody.greet("boom"));
        assertThrows(PluginTimeoutException.class, () -> moody.greet("sleep"));
        assertThrows(PluginCrashedException.class, () -> greeter("moody").greet("die"));
        assertEquals("Hello, W!", greeter("wasm-greeter").greet("W"));
        assertThrows(PluginCrashedException.class, () -> greeter("wasm-trap").greet("x"));

        HttpResponse<String> metrics = get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String body = metrics.body();
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"english\",status=\"success\"}", 2);
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"moody\",status=\"success\"}", 1);
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"moody\",status=\"error\"}", 1);
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"moody\",status=\"timeout\"}", 1);
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"moody\",status=\"crash\"}", 1);
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"wasm-greeter\",status=\"success\"}", 1);
        assertCount(body, "plugin_calls_total{method=\"greet\",plugin=\"wasm-trap\",status=\"crash\"}", 1);
        assertCount(body, "plugin_call_duration_seconds_count{method=\"greet\",plugin=\"moody\"}", 4);
        assertCount(body, "plugin_call_duration_seconds_bucket{method=\"greet\",plugin=\"english\",le=\"+Inf\"}", 2);
        // the timed-out call waited its whole second, so it is above the 0.5 s bucket and within 1 s... plus scheduling
        assertCount(body, "plugin_call_duration_seconds_bucket{method=\"greet\",plugin=\"moody\",le=\"0.5\"}", 3);
        assertTrue(body.lines().noneMatch(l -> l.startsWith("plugin_call") && l.contains("plugin=\"uzbek\"")),
                "a plugin never called has no call series yet");

        // lifecycle: installs (in-process and transports), the process plugin's crash and its restart, a reload
        await("moody is back after its crash", () -> atrium.registry().plugin("moody")
                .map(p -> p.state() == io.atrium.api.PluginState.ACTIVE).orElse(false));
        assertEquals(io.atrium.api.PluginState.ACTIVE, PluginFacts.reload(atrium, "english"));
        String lifecycle = get("/metrics").body();
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"install\",plugin=\"uzbek\"}", 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"install\",plugin=\"moody\"}", 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"install\",plugin=\"wasm-trap\"}", 1);
        // the timed-out call did not cost the process its life (it still answered health checks); its exit did
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"crash\",plugin=\"moody\"}", 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"restart\",plugin=\"moody\"}", 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"reload\",plugin=\"english\"}", 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"stop\",plugin=\"english\"}", 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"start\",plugin=\"english\"}", 1);

        assertEquals(List.of("in-process", 2L, 0L, 0L, 0L), statsRow("english", "greet"));
        CallStatistics englishGreet = PluginFacts.calls(atrium, "english", "greet").orElseThrow();
        assertTrue(!Double.isNaN(englishGreet.p50Millis()) && !Double.isNaN(englishGreet.p99Millis()), englishGreet.toString());
        assertEquals(List.of("process", 4L, 1L, 1L, 1L), statsRow("moody", "greet"));
        assertEquals(List.of("wasm", 1L, 0L, 0L, 1L), statsRow("wasm-trap", "greet"));
        assertEquals("in-process", PluginFacts.plugin(atrium, "uzbek").orElseThrow().transportId(), "listed, though never called");
        assertEquals(0, PluginFacts.calls(atrium, "uzbek").calls());
        assertTrue(PluginFacts.calls(atrium, "uzbek", "greet").isEmpty());
        // the shell's own: a name it does not know, and one plugin's rows only
        assertEquals("Error: unknown plugin 'nobody'\n", atrium.execute("plugin:stats nobody").output());
        assertTrue(atrium.execute("plugin:stats english").output().lines().count() == 2);
    }

    @Test
    void thePercentilesOfCallsThatAllTimeOutLieWithinTheirDurations() throws Exception {
        // every call waits out its 300 ms timeout: the durations sit low in the (250 ms, 500 ms] bucket
        helperPlugin("sleeper", "time.sleep(3600)", "\"limits\": {\"callTimeoutMs\": 300}");
        Greeter sleeper = greeter("sleeper");
        long slowestNanos = 0;
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            assertThrows(PluginTimeoutException.class, () -> sleeper.greet("x"));
            // the host times the call inside this one: no duration it records is longer
            slowestNanos = Math.max(slowestNanos, System.nanoTime() - start);
        }
        double slowest = slowestNanos / 1e6;
        JsonObject plugin = com.google.gson.JsonParser.parseString(get("/api/plugins/sleeper").body()).getAsJsonObject();
        JsonObject greet = plugin.getAsJsonArray("methods").get(0).getAsJsonObject();
        assertEquals(4, greet.get("calls").getAsLong(), greet.toString());
        double p50 = greet.get("p50Ms").getAsDouble();
        double p99 = greet.get("p99Ms").getAsDouble();
        assertTrue(300 <= p50 && p50 <= p99 && p99 <= slowest,
                "300 ms (the timeout) <= p50 " + p50 + " <= p99 " + p99 + " <= the slowest call seen here, " + slowest + " ms");
        JsonArray plugins = com.google.gson.JsonParser.parseString(get("/api/plugins").body()).getAsJsonArray();
        for (var p : plugins) {
            if (p.getAsJsonObject().get("name").getAsString().equals("sleeper")) {
                assertEquals(p99, p.getAsJsonObject().get("p99Ms").getAsDouble(), 1e-9, "its one method's numbers are the plugin's");
            }
        }
        assertEquals(List.of("process", 4L, 0L, 4L, 0L), statsRow("sleeper", "greet"));
        CallStatistics stats = PluginFacts.calls(atrium, "sleeper", "greet").orElseThrow();
        assertTrue(300 <= stats.p50Millis() && stats.p50Millis() <= stats.p99Millis() && stats.p99Millis() <= slowest,
                "PluginStatistics: " + stats + ", the slowest call seen here " + slowest + " ms");
    }

    @Test
    void everyRelaunchOfACrashLoopingPluginCountsAsARestart() throws Exception {
        // it serves once, dies on its call, then dies at every start (before its handshake) until it is given up on
        Path started = work.resolve("started");
        python("looper", """
                if os.path.exists(%s):
                    sys.exit(7)
                open(%s, "w").close()
                from atrium_plugin import serve
                def greet(who, host=None):
                    os._exit(3)
                serve(name="looper", version="1.0.0", contract="io.atrium.api.greeting.Greeter", methods={"greet": greet})
                """.formatted(pyString(started), pyString(started)),
                "\"restart\": {\"maxRestarts\": 4, \"windowSeconds\": 600, \"initialBackoffMs\": 20}");
        assertThrows(PluginCrashedException.class, () -> greeter("looper").greet("x"));
        await("looper is given up on", () -> atrium.registry().plugin("looper")
                .map(p -> p.state() == io.atrium.api.PluginState.FAILED).orElse(false));

        long relaunches = log.stream().filter(l -> l.contains("plugin 'looper' ") && l.contains("; restarting in ")).count();
        assertEquals(4, relaunches, String.join("\n", log));
        String lifecycle = get("/metrics").body();
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"restart\",plugin=\"looper\"}", relaunches);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"crash\",plugin=\"looper\"}", relaunches + 1);
        assertCount(lifecycle, "plugin_lifecycle_events_total{event=\"fail\",plugin=\"looper\"}", 1);
        String info = atrium.execute("plugin:info looper").output();
        assertTrue(Pattern.compile("(?m)^restarts\\s+" + relaunches + "$").matcher(info).find(), info);
    }

    /** @return the path as a Python string literal (a JSON string is one) */
    private static String pyString(Path path) {
        return new com.google.gson.Gson().toJson(path.toString());
    }

    @Test
    void everyCallIsASpanWithItsOutcomeWhateverItsTransportAndAProcessPluginReceivesItsTraceContext() throws Exception {
        oneOfEachTransport("tracer", "from atrium_plugin import trace_context\nreturn trace_context()['traceparent']", 500);
        Greeter english = greeter("english");
        Greeter tracer = greeter("tracer");
        Greeter wasmGreeter = greeter("wasm-greeter");
        Greeter wasmTrap = greeter("wasm-trap");

        assertEquals("Hello, T!", english.greet("T"));
        String traceparent = tracer.greet("x");
        assertThrows(PluginException.class, () -> tracer.greet("boom"));
        assertThrows(PluginTimeoutException.class, () -> tracer.greet("sleep"));
        assertThrows(PluginCrashedException.class, () -> tracer.greet("die"));
        assertEquals("Hello, W!", wasmGreeter.greet("W"));
        assertThrows(PluginCrashedException.class, () -> wasmTrap.greet("x"));

        List<CallSpan> spans = PluginFacts.traces(atrium);
        String out = spans.toString();
        assertEquals(7, spans.size(), out);
        List<String> seen = spans.stream().map(s -> s.plugin() + " " + s.transport() + " " + s.status()).toList();
        assertEquals(List.of("english in-process success", "tracer process success", "tracer process error",
                "tracer process timeout", "tracer process crash", "wasm-greeter wasm success", "wasm-trap wasm crash"), seen, out);
        assertEquals(null, spans.get(0).parentSpanId(), "a call from no trace begins one");
        assertTrue(spans.stream().allMatch(s -> s.method().equals("greet")), out);
        CallSpan traced = spans.get(1);
        // the plugin got the host span's context: same trace, the call's span as parent, sampled
        assertEquals("00-" + traced.traceId() + "-" + traced.spanId() + "-01", traceparent);
        assertTrue(traced.traceId().matches("[0-9a-f]{32}"), traced.traceId());
        assertTrue(traced.spanId().matches("[0-9a-f]{16}"), traced.spanId());
        assertTrue(spans.get(2).error().startsWith("plugin 'tracer': call 2 failed: boom"), spans.get(2).error());
        assertTrue(spans.get(3).error().startsWith("plugin 'tracer': greet did not answer within 500 ms"), spans.get(3).error());
        assertTrue(spans.get(6).error().contains("trapped"), spans.get(6).error());
    }

    @Test
    void tracingCanBeSampledOrTurnedOffByConfiguration() throws Exception {
        TestPlugins.samplePlugins(folder);
        helperPlugin("ctx", """
                from atrium_plugin import trace_context
                return str(trace_context())""", "");
        Greeter english = greeter("english");
        Greeter ctx = greeter("ctx");
        drop("io.atrium.tracing.cfg", "sampleRatio = 0\n");
        await("the sampler is applied", () -> {
            english.greet("s");
            return PluginFacts.traces(atrium).isEmpty();
        });
        String context = ctx.greet("x");
        assertTrue(context.matches("\\{'traceparent': '00-[0-9a-f]{32}-[0-9a-f]{16}-00', 'tracestate': None\\}"),
                "an unsampled call still carries its context, flagged not sampled: " + context);
        drop("io.atrium.tracing.cfg", "enabled = false\n");
        await("tracing is off", () -> ctx.greet("x").equals("None"));
    }

    @Test
    void spansGoOverOtlpWhenAnEndpointIsConfigured() throws Exception {
        // a real OTLP/HTTP receiver on loopback: it keeps what it is sent
        List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer collector = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestHeaders().getFirst("Content-Type") + " " + new String(body, java.nio.charset.StandardCharsets.ISO_8859_1));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            TestPlugins.samplePlugins(folder);
            Greeter english = greeter("english");
            drop("io.atrium.tracing.cfg", "otlpEndpoint = http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces\n");
            await("an OTLP export with english's span", () -> {
                english.greet("otlp");
                return received.stream().anyMatch(r -> r.startsWith("application/x-protobuf ") && r.contains("english")
                        && r.contains("atrium.plugin.transport") && r.contains("in-process"));
            });
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void theHttpServerListensOnLoopbackByDefault() throws Exception {
        assertEquals("127.0.0.1", endpoint().getHost());
        assertEquals(404, get("/nothing-here").statusCode());
    }

    private static void assertCount(String metrics, String series, double expected) {
        String line = metrics.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no series " + series + " in:\n" + metrics.lines()
                        .filter(l -> l.startsWith("plugin_calls") || l.contains("_count")).reduce("", (a, b) -> a + b + "\n")));
        assertEquals(expected, Double.parseDouble(line.substring(series.length() + 1).trim()), line);
    }
}
