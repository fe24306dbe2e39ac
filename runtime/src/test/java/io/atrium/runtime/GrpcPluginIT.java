package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginException;
import io.atrium.api.kv.KV;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * hashicorp/go-plugin's own gRPC example (the KV plugin from Debian's go-plugin 1.0.1 source package, built
 * unmodified by examples/grpc/build-kv.sh) on a real server, called through the Java {@link KV} contract.
 */
class GrpcPluginIT extends ServerWithPluginFolder {
    static final Path EXAMPLES = Path.of("..", "examples", "grpc").toAbsolutePath().normalize();
    /** Built once for the module's tests (the build is ~20 s cold, nothing warm). */
    static final Path BUILT = Path.of("target", "grpc-examples").toAbsolutePath();

    @BeforeAll
    static void buildTheExamples() throws Exception {
        Process build = new ProcessBuilder("sh", EXAMPLES.resolve("build-kv.sh").toString(), BUILT.toString()).redirectErrorStream(true).start();
        build.getOutputStream().close();
        String out = new String(build.getInputStream().readAllBytes());
        assertTrue(build.waitFor(15, TimeUnit.MINUTES), "build-kv.sh did not end");
        assertEquals(0, build.exitValue(), "build-kv.sh failed:\n" + out);
    }

    /** The KV plugin and its descriptor set in the folder, with a manifest. */
    void kv(String name, String binary, String extra) throws Exception {
        place(BUILT.resolve(binary), binary);
        Files.setPosixFilePermissions(folder.resolve(binary), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        drop(name + ".grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./%s"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello", "protocolVersions": [1]},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"%s}
                """.formatted(binary, extra.isEmpty() ? "" : ", " + extra));
    }

    KV kvService(String name) {
        await(() -> name + " is registered: " + atrium.registry().plugins() + " " + atrium.registry().problems() + "\n" + String.join("\n", log),
                () -> atrium.service(KV.class, name).isPresent());
        return atrium.service(KV.class, name).orElseThrow();
    }

    long pid(String name) {
        String info = atrium.execute("plugin:info " + name).output();
        return info.lines().filter(l -> l.startsWith("pid ")).map(l -> Long.parseLong(l.substring(4).strip())).findFirst().orElse(-1L);
    }

    @Test
    void goPluginsOwnKvExampleRunsUnmodifiedBehindTheJavaContract() throws Exception {
        kv("kv", "kv-go-grpc", "");
        KV store = kvService("kv");
        store.put("greeting", "hello".getBytes(StandardCharsets.UTF_8));
        // the example's plugin appends its signature to what it stores, in a file in its working folder
        assertArrayEquals("hello\n\nWritten from plugin-go-grpc".getBytes(StandardCharsets.UTF_8), store.get("greeting"));
        assertTrue(Files.isRegularFile(folder.resolve("kv_greeting")));
        PluginException missing = assertThrows(PluginException.class, () -> store.get("nothing"));
        assertEquals("plugin 'kv': Get failed: UNKNOWN: open kv_nothing: no such file or directory", missing.getMessage());
        String info = atrium.execute("plugin:info kv").output();
        assertTrue(info.contains("go-plugin gRPC, application version 1, unix "), info);
    }

    @Test
    void theByNameCallTakesAndGivesProtobufsJsonMapping() throws Exception {
        place(BUILT.resolve("kv-go-grpc"), "kv-go-grpc");
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        drop("raw.grpc.json", """
                {"version": "1.0.0", "command": ["./kv-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}
                """);
        String value = java.util.Base64.getEncoder().encodeToString("v".getBytes(StandardCharsets.UTF_8));
        await(() -> "raw answers: " + atrium.registry().problems() + "\n" + String.join("\n", log),
                () -> atrium.execute("plugin:call raw Put '{\"key\": \"k\", \"value\": \"" + value + "\"}'").status() == 0);
        var out = atrium.execute("plugin:call raw Get '{\"key\": \"k\"}'");
        assertEquals(0, out.status(), out.output());
        String stored = java.util.Base64.getEncoder().encodeToString("v\n\nWritten from plugin-go-grpc".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"value\":\"" + stored + "\"}", out.output().strip());
        var unknown = atrium.execute("plugin:call raw Delete '{}'");
        assertTrue(unknown.output().contains("plugin 'raw': has no function 'Delete' (it has: Get, Put)"), unknown.output());
        var wrong = atrium.execute("plugin:call raw Get '{\"nokey\": 1}'");
        assertTrue(wrong.output().contains("the input is not a proto.GetRequest in protobuf's JSON mapping"), wrong.output());
    }

    @Test
    void aKilledPluginFailsItsCallAsCrashedAndIsRestarted() throws Exception {
        kv("kv", "kv-go-grpc", "");
        KV store = kvService("kv");
        store.put("a", new byte[] {1});
        long before = pid("kv");
        ProcessHandle.of(before).orElseThrow().destroyForcibly();
        await(() -> "its death is logged with the signal:\n" + String.join("\n", log),
                () -> logs.contains("plugin 'kv' was killed by signal 9 (KILL)") && logs.contains("restarting in 100 ms (crash 1 of 5 allowed"));
        await("it is restarted", () -> pid("kv") != before && pid("kv") > 0);
        await("and answers again", () -> {
            try {
                return kvService("kv").get("a").length > 0;
            } catch (PluginException e) {
                return false;
            }
        });
    }

    @Test
    void aPluginThatStopsAnsweringItsHealthCheckIsKilledAndRestarted() throws Exception {
        kv("kv", "kv-go-grpc", "\"limits\": {\"healthIntervalMs\": 200}");
        kvService("kv").put("a", new byte[] {1});
        long before = pid("kv");
        new ProcessBuilder("kill", "-STOP", Long.toString(before)).start().waitFor(); // alive, and answering nothing
        await(() -> "killed for it:\n" + String.join("\n", log),
                () -> logs.contains("plugin 'kv' stopped answering: no answer to go-plugin's health check within 2000 ms (killed)"));
        await("it is restarted", () -> pid("kv") != before && pid("kv") > 0);
        assertEquals(1, kvService("kv").get("a").length > 0 ? 1 : 0);
    }

    @Test
    void aNetRpcPluginIsRefusedInOneLine() throws Exception {
        kv("netrpc", "kv-go-netrpc", "");
        await(() -> "refused: " + atrium.registry().problems() + "\n" + String.join("\n", log),
                () -> logs.contains("speaks go-plugin's net/rpc protocol; only gRPC plugins can run here"));
    }

    @Test
    void aWrongCookieIsShownWithThePluginsOwnMessage() throws Exception {
        place(BUILT.resolve("kv-go-grpc"), "kv-go-grpc");
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        drop("cookie.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./kv-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "wrong"},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}
                """);
        await(() -> "the plugin's message: " + String.join("\n", log), () -> logs.contains(
                "plugin 'cookie' exited with status 1; it said: 'This binary is a plugin. These are not meant to be executed directly.' … "
                        + "'load any plugins automatically', before its handshake"));
    }

    @Test
    void aContractThatDoesNotMapIsRefusedAtDeploy() throws Exception {
        place(BUILT.resolve("kv-go-grpc"), "kv-go-grpc");
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        drop("greets.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["./kv-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}
                """);
        await(() -> "refused: " + String.join("\n", log), () -> logs.contains("plugin file greets.grpc.json Greeter.greet has no rpc in proto.KV (it has [Get, Put]"));
        drop("noservice.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./kv-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                 "descriptorSet": "kv.protoset", "service": "proto.Nope"}
                """);
        await(() -> "refused: " + String.join("\n", log), () -> logs.contains("plugin file noservice.grpc.json descriptor set kv.protoset has no service proto.Nope (it has proto.KV)"));
        Files.writeString(folder.resolve("junk.protoset"), "not a descriptor set at all");
        drop("junk.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./kv-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                 "descriptorSet": "junk.protoset", "service": "proto.KV"}
                """);
        await(() -> "refused: " + String.join("\n", log), () -> logs.contains("plugin file junk.grpc.json descriptor set junk.protoset is not a protobuf descriptor set"));
    }

    @Test
    void stoppingThePluginEndsItsProcessAndRemovesItsSocket() throws Exception {
        kv("kv", "kv-go-grpc", "");
        kvService("kv").put("x", new byte[] {1});
        long pid = pid("kv");
        String info = atrium.execute("plugin:info kv").output();
        String socket = info.lines().filter(l -> l.startsWith("protocol ")).findFirst().orElseThrow().replaceAll(".* unix ", "").strip();
        assertTrue(Files.exists(Path.of(socket)), socket);
        assertEquals(0, atrium.execute("plugin:stop kv").status());
        await("its process ends", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        await("its socket and folder are removed", () -> !Files.exists(Path.of(socket)) && !Files.exists(Path.of(socket).getParent()));
    }
}
