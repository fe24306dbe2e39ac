package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.atrium.api.PluginState;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JSON API over real HTTP on loopback: reads, calls, steering, the token, and every bad request of issue 6. */
class HttpApiIT extends ServerWithPluginFolder {
    private final HttpClient http = HttpClient.newHttpClient();
    private URI base;
    private String token;

    record Reply(int status, JsonElement json) {
        JsonObject object() {
            return json.getAsJsonObject();
        }

        String error() {
            return object().get("error").getAsString();
        }
    }

    @BeforeEach
    void samples() throws Exception {
        TestPlugins.samplePlugins(folder);
        greeter("english");
        greeter("uzbek");
        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        base = atrium.httpEndpoint().orElseThrow();
        token = atrium.execute("web:token").output().strip();
    }

    Reply send(String method, String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.headers().firstValue("Server").isEmpty(), "the server names itself: " + r.headers().firstValue("Server"));
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), path + ": " + r.headers());
        return new Reply(r.statusCode(), JsonParser.parseString(r.body()));
    }

    Reply get(String path) throws Exception {
        return send("GET", path, null, null);
    }

    Reply post(String path, String body) throws Exception {
        return send("POST", path, body, "Bearer " + token);
    }

    @Test
    void theConsoleIsReachedFromTheRootAndFromItsFolderAndUnknownPathsAre404() throws Exception {
        for (String path : new String[] {"/", "/console", "/console/"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(302, r.statusCode(), path);
            assertTrue(r.headers().firstValue("Location").orElse("").endsWith("/console/index.html"), path + ": " + r.headers());
        }
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(base.resolve("/console/index.html")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<html"), page.body());
        assertEquals(404, http.send(HttpRequest.newBuilder(base.resolve("/consoles")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void listsPluginsWithTheirNumbersAndCallsThem() throws Exception {
        assertEquals("Hello, API!", post("/api/plugins/english/greet", "[\"API\"]").object().get("result").getAsString());
        assertEquals("Salom, API!", post("/api/plugins/uzbek/greet", "[\"API\"]").object().get("result").getAsString());

        Reply list = get("/api/plugins");
        assertEquals(200, list.status());
        JsonArray plugins = list.json().getAsJsonArray();
        JsonObject english = find(plugins, "english");
        assertEquals("in-process", english.get("transport").getAsString());
        assertEquals("active", english.get("state").getAsString());
        assertEquals("io.atrium.api.greeting.Greeter", english.get("contract").getAsString());
        assertEquals(1, english.get("calls").getAsLong());
        assertEquals(0, english.get("errors").getAsLong());
        assertTrue(english.get("p50Ms").getAsDouble() > 0);

        Reply one = get("/api/plugins/english");
        assertEquals(200, one.status());
        JsonObject greet = one.object().getAsJsonArray("methods").get(0).getAsJsonObject();
        assertEquals("greet", greet.get("method").getAsString());
        assertEquals(1, greet.getAsJsonObject("outcomes").get("success").getAsLong());
    }

    @Test
    void badRequestsGetAStatusAndAOneLineReason() throws Exception {
        Reply unknown = get("/api/plugins/nobody");
        assertEquals(404, unknown.status());
        assertEquals("unknown plugin 'nobody'", unknown.error());
        assertEquals(404, post("/api/plugins/nobody/greet", "[\"x\"]").status());
        Reply noMethod = post("/api/plugins/english/shout", "[\"x\"]");
        assertEquals(404, noMethod.status());
        assertEquals("plugin 'english' (Greeter) has no method 'shout' (it has: greet)", noMethod.error());
        Reply malformed = post("/api/plugins/english/greet", "[\"x\"");
        assertEquals(400, malformed.status());
        assertTrue(malformed.error().startsWith("malformed JSON at line 1 column 5: "), malformed.error());
        Reply notArray = post("/api/plugins/english/greet", "{\"name\": \"x\"}");
        assertEquals(400, notArray.status());
        assertEquals("the body must be a JSON array of the method's arguments, e.g. [\"World\"]", notArray.error());
        Reply count = post("/api/plugins/english/greet", "[\"a\", \"b\"]");
        assertEquals(400, count.status());
        assertEquals("greet takes 1 argument (String name), got 2 arguments", count.error());
        Reply type = post("/api/plugins/english/greet", "[[1, 2]]");
        assertEquals(400, type.status());
        assertEquals("parameter 1 (String name): expected a string, got an array", type.error());
        // typed strictly: no number or boolean passes for a String, no single-quoted or commented JSON
        assertEquals("parameter 1 (String name): expected a string, got a number", post("/api/plugins/english/greet", "[1]").error());
        assertEquals("parameter 1 (String name): expected a string, got a boolean", post("/api/plugins/english/greet", "[true]").error());
        for (String lax : List.of("['x']", "[\"x\"] trailing", "[x]", "[\"x\" /* c */]")) {
            Reply r = post("/api/plugins/english/greet", lax);
            assertEquals(400, r.status(), lax);
            assertTrue(r.error().startsWith("malformed JSON") && !r.error().contains("setStrictness") && !r.error().contains("http"), r.error());
        }
        assertEquals(0, get("/api/plugins/english").object().get("calls").getAsLong(), "no refused call reached the plugin");
        Reply large = post("/api/plugins/english/greet", "[\"" + "x".repeat(2 << 20) + "\"]");
        assertEquals(413, large.status());
        assertTrue(large.error().startsWith("the body has "), large.error());
        assertEquals(404, post("/api/plugins/english:explode", "").status());
        assertEquals(404, get("/api/elsewhere").status());
        // what the servlet container answers itself is JSON in Atrium's words too
        Reply put = send("PUT", "/api/plugins/english", "[]", null);
        assertEquals(405, put.status());
        assertEquals("method PUT is not allowed on /api/plugins/english", put.error());
        Reply unknownMethod = send("BREW", "/api/plugins", null, null);
        assertEquals(501, unknownMethod.status());
        assertEquals("method BREW is not implemented", unknownMethod.error());
        Reply nowhere = get("/nowhere/at/all");
        assertEquals(404, nowhere.status());
        assertEquals("no such resource: /nowhere/at/all", nowhere.error());
        assertEquals("Hello, still!", post("/api/plugins/english/greet", "[\"still\"]").object().get("result").getAsString(),
                "the server is fine after all that");
    }

    @Test
    void mutatingRequestsNeedTheTokenAndChangeNothingWithout() throws Exception {
        assertEquals(200, send("POST", "/api/plugins/english/greet", "[\"x\"]", "bearer " + token).status(), "the scheme in any case");
        assertEquals(200, send("POST", "/api/plugins/english/greet", "[\"x\"]", "BEARER  " + token).status());
        assertEquals(2, get("/api/plugins/english").object().get("calls").getAsLong());
        for (String auth : new String[] {null, "Bearer wrong", "Basic " + token, token, "Bearer" + token, "Bearer " + token + "x"}) {
            Reply stop = send("POST", "/api/plugins/english:stop", "", auth);
            assertEquals(401, stop.status(), String.valueOf(auth));
            assertTrue(stop.error().startsWith("this request needs the API token"), stop.error());
            assertEquals(401, send("POST", "/api/plugins/english/greet", "[\"x\"]", auth).status());
        }
        assertEquals(PluginState.ACTIVE, atrium.registry().plugin("english").orElseThrow().state());
        assertEquals(2, get("/api/plugins/english").object().get("calls").getAsLong(), "refused calls never reached the plugin");
        assertEquals(1, log.stream().filter(l -> l.contains("refused a request without the right API token: POST /api/plugins/english:stop from 127.0.0.1")).count(),
                "the first refusal is logged, the next ones counted: " + String.join("\n", log));

        // a token too short to resist guessing is refused: the generated one stays
        drop("io.atrium.web.cfg", "token = short-token\n");
        await("the short token is refused", () -> log.stream().anyMatch(l -> l.contains(
                "configuration io.atrium.web: the token is refused, it has 11 characters and needs at least 16")));
        assertEquals(token + "\n", atrium.execute("web:token").output());
        assertEquals(401, send("POST", "/api/plugins/english/greet", "[\"x\"]", "Bearer short-token").status());

        // a token from configuration (here a file in the plugin folder) replaces the generated one
        drop("io.atrium.web.cfg", "token = s3cret-from-config\n");
        await("the configured token is in force", () -> atrium.execute("web:token").output().equals("s3cret-from-config\n"));
        assertEquals(401, send("POST", "/api/plugins/english/greet", "[\"x\"]", "Bearer " + token).status());
        assertEquals(200, send("POST", "/api/plugins/english/greet", "[\"x\"]", "Bearer s3cret-from-config").status());

        // no secret in the log, in plugin:info or in the API's answers
        for (String secret : List.of(token, "s3cret-from-config")) {
            assertTrue(log.stream().noneMatch(l -> l.contains(secret)), "a token reached the log");
            assertTrue(!atrium.execute("plugin:info english").output().contains(secret));
            assertTrue(!get("/api/plugins").json().toString().contains(secret));
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("the HTTP API's token was generated; 'web:token' prints it")), String.join("\n", log));
        atrium.stop();
        assertTrue(log.stream().anyMatch(l -> l.matches(".*refused 1[0-9] more requests without the right API token in 60 s, the last: POST .*")),
                "the rest are counted in one line: " + String.join("\n", log));
    }

    /** A request as a browser or an attacker's page may send it, headers and all (HttpClient refuses to set Host). */
    private String raw(String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void theServerAnswersOnlyToItsOwnNamesNeverEchoesARequestAndCannotBeFramed() throws Exception {
        int port = base.getPort();
        for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LocalHost:" + port, "127.1.2.3:" + port)) {
            String answer = raw("GET /api/plugins HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 200"), host + ": " + answer);
        }
        // a page of evil.example whose name now points at 127.0.0.1 (DNS rebinding), or a port that is not this one
        for (String host : List.of("evil.example:" + port, "evil.example", "localhost:" + (port + 1), "127.0.0.1.evil.example:" + port,
                "localhost" /* port 80, not this one */)) {
            String answer = raw("GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 421"), host + ": " + answer);
            assertTrue(answer.contains("{\"error\":\"this server answers to localhost, 127.0.0.1 and [::1] only"), answer);
            assertTrue(!answer.contains("plugin_calls_total"), answer);
        }
        // the console's folder redirect answers before any servlet, yet after the guard: no redirect to evil.example
        String redirect = raw("GET /console/ HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
        assertTrue(redirect.startsWith("HTTP/1.1 421") && !redirect.contains("Location"), redirect);
        String normalised = raw("GET /api/../console/ HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n");
        assertTrue(normalised.startsWith("HTTP/1.1 302") && normalised.contains("\r\nLocation: /console/index.html\r\n")
                && normalised.contains("X-Frame-Options: DENY"), normalised);
        String options = raw("OPTIONS /api/plugins HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n");
        assertTrue(options.startsWith("HTTP/1.1 204") && options.contains("Allow: GET, HEAD, POST, OPTIONS\r\n"), options);
        String trace = raw("TRACE /api/plugins HTTP/1.1\r\nHost: localhost:" + port + "\r\nAuthorization: Bearer " + token
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(trace.startsWith("HTTP/1.1 405"), trace);
        assertTrue(!trace.contains(token), "TRACE echoed the token: " + trace);

        HttpResponse<String> page = http.send(HttpRequest.newBuilder(base.resolve("/console/index.html")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"), csp);
    }

    @Test
    void aPluginThatThrowsGetsItsErrorReturnedAndCounted() throws Exception {
        helperPlugin("grumpy", "raise PluginError('not today, ' + who)", "");
        greeter("grumpy");
        Reply r = post("/api/plugins/grumpy/greet", "[\"Bob\"]");
        assertEquals(500, r.status());
        assertEquals("error", r.object().get("status").getAsString());
        assertTrue(r.error().contains("not today, Bob"), r.error());
        JsonObject stats = get("/api/plugins/grumpy").object();
        assertEquals(1, stats.get("errors").getAsLong());
        assertEquals(1, stats.getAsJsonObject("outcomes").get("error").getAsLong());
    }

    @Test
    void stopStartAndConcurrentReloadsOfOnePlugin() throws Exception {
        Reply stop = post("/api/plugins/uzbek:stop", "");
        assertEquals("stopped", stop.object().get("state").getAsString());
        assertEquals("stopped", get("/api/plugins/uzbek").object().get("state").getAsString());
        Reply call = post("/api/plugins/uzbek/greet", "[\"x\"]");
        assertEquals(503, call.status());
        assertEquals("plugin 'uzbek' is stopped, not callable now", call.error());
        assertEquals("active", post("/api/plugins/uzbek:start", "").object().get("state").getAsString());

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Reply>> reloads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                reloads.add(pool.submit((Callable<Reply>) () -> post("/api/plugins/english:reload", "")));
            }
            for (Future<Reply> f : reloads) {
                Reply r = f.get();
                assertEquals(200, r.status(), r.json().toString());
                assertEquals("active", r.object().get("state").getAsString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals("Hello, after!", post("/api/plugins/english/greet", "[\"after\"]").object().get("result").getAsString());
        assertEquals(4, log.stream().filter(l -> l.startsWith("INFO reloaded io.atrium.sample.greeter")).count(), String.join("\n", log));
    }

    @Test
    void eachPluginSaysHowOftenItCrashedAndRestartedAndItsLastErrorWhichOutlivesTheRestart() throws Exception {
        helperPlugin("crashy", """
                if who == "die":
                    os._exit(3)
                return "alive " + who""", "");
        greeter("crashy");
        Reply died = post("/api/plugins/crashy/greet", "[\"die\"]");
        assertEquals(502, died.status(), died.json().toString());
        // the failed call may return before the plugin's supervisor has seen the death: until then it still says active
        await("crashy restarted and runs again", () -> {
            JsonObject p = find(listed(), "crashy");
            return p.get("restarts").getAsLong() > 0 && p.get("state").getAsString().equals("active");
        });

        JsonArray plugins = get("/api/plugins").json().getAsJsonArray();
        JsonObject crashy = find(plugins, "crashy");
        assertEquals("active", crashy.get("state").getAsString());
        assertTrue(crashy.get("problem").isJsonNull(), crashy.toString());
        assertEquals(1, crashy.get("crashes").getAsLong(), crashy.toString());
        assertEquals(1, crashy.get("restarts").getAsLong(), crashy.toString());
        JsonObject last = crashy.getAsJsonObject("lastError");
        assertEquals("crash", last.get("event").getAsString());
        assertTrue(last.get("reason").getAsString().startsWith("exited with status 3"), last.toString());
        assertTrue(java.time.Instant.parse(last.get("at").getAsString()).isBefore(java.time.Instant.now().plusSeconds(1)), last.toString());
        assertEquals(last, get("/api/plugins/crashy").object().getAsJsonObject("lastError"), "one plugin's answer says the same");
        JsonObject english = find(plugins, "english");
        assertEquals(0, english.get("crashes").getAsLong());
        assertEquals(0, english.get("restarts").getAsLong());
        assertTrue(english.get("lastError").isJsonNull(), english.toString());
    }

    @Test
    void aFailedProcessPluginIsStartedAfreshByStart() throws Exception {
        python("doomed", "sys.exit(7)\n", "\"restart\": {\"maxRestarts\": 0}");
        await("doomed failed", () -> atrium.registry().plugin("doomed").map(p -> p.state() == PluginState.FAILED).orElse(false));
        JsonObject doomed = get("/api/plugins/doomed").object();
        assertEquals(1, doomed.get("crashes").getAsLong(), doomed.toString());
        assertEquals(0, doomed.get("restarts").getAsLong(), doomed.toString());
        assertEquals("fail", doomed.getAsJsonObject("lastError").get("event").getAsString(), doomed.toString());
        assertTrue(doomed.getAsJsonObject("lastError").get("reason").getAsString().startsWith("crashed 1 times within 60 s; last: exited with status 7"),
                doomed.toString());

        assertEquals(200, post("/api/plugins/doomed:start", "").status());
        await("the start launched it again, and it crashed again", () -> logged("plugin 'doomed' started by an operator")
                && log.stream().filter(l -> l.contains("plugin 'doomed' failed: crashed 1 times")).count() == 2);
        await("and failed again", () -> atrium.registry().plugin("doomed").map(p -> p.state() == PluginState.FAILED).orElse(false));
        assertEquals(2, get("/api/plugins/doomed").object().get("crashes").getAsLong());
    }

    private boolean logged(String fragment) {
        return log.stream().anyMatch(l -> l.contains(fragment));
    }

    /** A plugin service of a transport the core has never heard of, named by the id its bundle declares. */
    private static Path transportPlugin(Path work, String bsn, String name, String transport) throws Exception {
        return transportPlugin(work, bsn, name, transport, java.util.Map.of("Provide-Capability", "io.atrium.artifact;kind=\"" + transport + "\""));
    }

    private static Path transportPlugin(Path work, String bsn, String name, String transport, java.util.Map<String, String> headers) throws Exception {
        String pkg = bsn.replace('-', '_');
        return TestPlugins.bundle(work, bsn, "1.0.0", java.util.Map.of(pkg + ".G", """
                package %s;
                import io.atrium.api.greeting.Greeter;
                import org.osgi.service.component.annotations.Component;
                @Component(property = {"atrium.plugin.name=%s", "atrium.plugin.transport=%s"})
                public class G implements Greeter {
                    public String greet(String who) { return "Over %s, " + who; }
                }
                """.formatted(pkg, name, transport, transport)), headers);
    }

    @Test
    void aPluginNamingATransportItsBundleDoesNotDeclareIsRefused() throws Exception {
        place(transportPlugin(work, "t.claims", "sandboxed", "wasm", java.util.Map.of()), "sandboxed.jar");
        String why = "is refused: it names the transport 'wasm', which its bundle t.claims does not declare (a transport's bundle declares "
                + "its id: Provide-Capability: io.atrium.artifact;kind=wasm)";
        await(() -> "the plugin is refused: " + atrium.registry().problems(), () -> atrium.registry().problems().stream()
                .anyMatch(p -> p.plugin().equals("sandboxed") && p.reason().equals(why)));
        assertEquals(0, get("/api/plugins?transport=wasm").json().getAsJsonArray().size(), "not listed as a wasm plugin");
        assertTrue(atrium.service(io.atrium.api.greeting.Greeter.class, "sandboxed").isEmpty(), "and not offered to consumers");
    }

    @Test
    void aPluginOfAnyTransportIsListedAndFilteredByTheIdItDeclares() throws Exception {
        Path jar = transportPlugin(work, "t.mqtt", "remote", "mqtt");
        place(jar, "remote.jar");
        assertEquals("Over mqtt, x", greeter("remote").greet("x"));
        assertEquals("mqtt", atrium.registry().plugin("remote").orElseThrow().transportId());

        assertTrue(atrium.registry().plugins().stream().anyMatch(p -> p.name().equals("remote") && p.transportId().equals("mqtt")),
                atrium.registry().plugins().toString());
        // the shell's own filter
        String onlyMqtt = atrium.execute("plugin:list mqtt").output();
        assertTrue(onlyMqtt.contains("remote") && !onlyMqtt.contains("english"), onlyMqtt);

        Reply mqtt = get("/api/plugins?transport=mqtt");
        assertEquals(200, mqtt.status());
        assertEquals(1, mqtt.json().getAsJsonArray().size(), mqtt.json().toString());
        assertEquals("mqtt", find(mqtt.json().getAsJsonArray(), "remote").get("transport").getAsString());
        assertEquals(1, find(mqtt.json().getAsJsonArray(), "remote").get("calls").getAsLong(), "counted as any call is");
        assertEquals(2, get("/api/plugins?transport=in-process").json().getAsJsonArray().size());
        Reply none = get("/api/plugins?transport=carrier-pigeon");
        assertEquals(200, none.status());
        assertEquals(0, none.json().getAsJsonArray().size(), "no plugin of that transport: an empty list, not an error");
        Reply malformed = get("/api/plugins?transport=MQTT");
        assertEquals(400, malformed.status());
        assertEquals("?transport=: transport id 'MQTT' is not lower-case letters, digits and '-'", malformed.error());
    }

    @Test
    void aPluginDeclaringAMalformedTransportIdIsRefusedInOneLine() throws Exception {
        Path jar = transportPlugin(work, "t.bad", "badly", "Grpc!");
        place(jar, "badly.jar");
        String why = "is refused: transport id 'Grpc!' is not lower-case letters, digits and '-'";
        await(() -> "the plugin is refused: " + atrium.registry().problems(), () -> atrium.registry().problems().stream()
                .anyMatch(p -> p.plugin().equals("badly") && p.reason().equals(why)));
        assertTrue(log.stream().anyMatch(l -> l.contains("plugin 'badly' " + why)), String.join("\n", log));
        assertTrue(atrium.registry().plugin("badly").isEmpty());
        assertTrue(atrium.service(io.atrium.api.greeting.Greeter.class, "badly").isEmpty(), "consumers never see a refused plugin");
        assertEquals("Hello, still!", greeter("english").greet("still"));
    }

    private JsonArray listed() {
        try {
            return get("/api/plugins").json().getAsJsonArray();
        } catch (Exception e) {
            throw new AssertionError("GET /api/plugins failed", e);
        }
    }

    private static JsonObject find(JsonArray plugins, String name) {
        for (JsonElement e : plugins) {
            if (e.getAsJsonObject().get("name").getAsString().equals(name)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError("no plugin " + name + " in " + plugins);
    }
}
