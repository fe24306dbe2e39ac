package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginException;
import io.atrium.api.counter.AddHelper;
import io.atrium.api.counter.Counter;
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

    /**
     * examples/grpc/python/kv_plugin.py, go-plugin's KV plugin in Python: go-plugin's own Go host runs it
     * (the referee), then Atrium, which reads its prints through GRPCStdio, its hclog lines at their level,
     * and hands it each call's trace context.
     */
    @Test
    void aPluginWrittenInPythonRunsInGoPluginsOwnHostAndInAtrium() throws Exception {
        Path referee = Files.createDirectories(work.resolve("referee"));
        Files.copy(EXAMPLES.resolve("python/kv_plugin.py"), referee.resolve("kv_plugin.py"));
        Files.copy(BUILT.resolve("kv_pb2.py"), referee.resolve("kv_pb2.py"));
        assertEquals("", goHost(referee, "put", "hello", "world"));
        assertEquals("world\n\nWritten from plugin-python\n", goHost(referee, "get", "hello"));

        place(EXAMPLES.resolve("python/kv_plugin.py"), "kv_plugin.py");
        place(BUILT.resolve("kv_pb2.py"), "kv_pb2.py");
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        drop("pykv.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["/usr/bin/python3", "kv_plugin.py"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello", "protocolVersions": [1]},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}
                """);
        KV store = kvService("pykv");
        store.put("k", "v".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("v\n\nWritten from plugin-python".getBytes(StandardCharsets.UTF_8), store.get("k"));
        await(() -> "its print, through GRPCStdio:\n" + String.join("\n", log), () -> log.contains("INFO plugin 'pykv': stored k"));
        await(() -> "its hclog line, with the call's trace context:\n" + String.join("\n", log), () -> log.stream().anyMatch(l ->
                l.matches("INFO plugin 'pykv': kv-python: put key=k traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")));
        PluginException missing = assertThrows(PluginException.class, () -> store.get("nothing"));
        assertEquals("plugin 'pykv': Get failed: NOT_FOUND: no key nothing", missing.getMessage());
    }

    /** go-plugin's KV example host on the Python KV plugin in the folder: what it printed. */
    static String goHost(Path folder, String... args) throws Exception {
        return goHost("kv-host", "KV_PLUGIN", "/usr/bin/python3 kv_plugin.py", folder, args);
    }

    /**
     * One of go-plugin's own example hosts, running the plugin its variable names in the folder: what it printed. It
     * exits without stopping its plugin, so it runs in a session of its own that is killed after it.
     */
    static String goHost(String host, String variable, String plugin, Path folder, String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("setsid", BUILT.resolve(host).toString()));
        command.addAll(java.util.List.of(args));
        ProcessBuilder b = new ProcessBuilder(command).directory(folder.toFile());
        b.environment().put(variable, plugin);
        b.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = b.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), host + " did not end");
        new ProcessBuilder("kill", "-KILL", "--", "-" + p.pid()).start().waitFor(); // its session's group: the plugin it left
        assertEquals(0, p.exitValue(), host + " " + String.join(" ", args) + ": " + out);
        return out;
    }

    /**
     * go-plugin's bidirectional example, unmodified: the plugin calls back the caller's {@link AddHelper} through
     * go-plugin's broker while the put runs. go-plugin's own Go host then reads what Atrium's put stored, and the
     * other way round.
     */
    @Test
    void aPluginCallsBackTheHelperItIsPassedThroughGoPluginsBroker() throws Exception {
        place(BUILT.resolve("counter-go-grpc"), "counter-go-grpc");
        Files.setPosixFilePermissions(folder.resolve("counter-go-grpc"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        place(BUILT.resolve("counter.protoset"), "counter.protoset");
        drop("counter.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.counter.Counter", "command": ["./counter-go-grpc"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                 "descriptorSet": "counter.protoset", "service": "proto.Counter"}
                """);
        await(() -> "counter is registered: " + atrium.registry().problems() + "\n" + String.join("\n", log),
                () -> atrium.service(Counter.class, "counter").isPresent());
        Counter counter = atrium.service(Counter.class, "counter").orElseThrow();
        java.util.List<String> sums = new java.util.concurrent.CopyOnWriteArrayList<>();
        AddHelper adder = (a, b) -> {
            sums.add(a + "+" + b);
            return a + b;
        };
        counter.put("c", 40, adder); // nothing stored yet: the plugin's Get fails, it adds 40 to 0
        counter.put("c", 2, adder);
        assertEquals(java.util.List.of("0+40", "40+2"), sums, "the plugin called the helper back once a put");
        assertEquals(42, counter.get("c"));
        // the helper is the caller's: what it says is what is stored, and what it throws fails the put
        counter.put("c", 1, (a, b) -> a * 100 + b);
        assertEquals(4201, counter.get("c"));
        PluginException refused = assertThrows(PluginException.class, () -> counter.put("c", 1, (a, b) -> {
            throw new IllegalStateException("no adding today");
        }));
        assertTrue(refused.getMessage().startsWith("plugin 'counter': Put failed: UNKNOWN: ") && refused.getMessage().contains("no adding today"),
                refused.getMessage());
        assertEquals(4201, counter.get("c"), "nothing stored by the failed put");
        assertEquals("plugin 'counter': put: argument 3 is a callback (AddHelper) the plugin calls back, and cannot be null",
                assertThrows(PluginException.class, () -> counter.put("c", 1, null)).getMessage());
        // the referee: go-plugin's own host runs the same plugin in the same folder and reads the same count
        assertEquals("4201", goHost("counter-host", "COUNTER_PLUGIN", "./counter-go-grpc", folder, "get", "c").strip());
        goHost("counter-host", "COUNTER_PLUGIN", "./counter-go-grpc", folder, "put", "c", "9");
        assertEquals(4210, counter.get("c"));
        // each callback's socket went with its call
        java.util.List<Path> left = new java.util.ArrayList<>();
        for (String base : new String[] {System.getenv("XDG_RUNTIME_DIR"), "/dev/shm", System.getProperty("java.io.tmpdir")}) {
            if (base == null || !Files.isDirectory(Path.of(base))) {
                continue;
            }
            try (var folders = Files.newDirectoryStream(Path.of(base), "atrium-grpc-*")) {
                for (Path f : folders) {
                    try (var files = Files.newDirectoryStream(f, "callback-*")) {
                        files.forEach(left::add);
                    }
                }
            }
        }
        assertEquals(java.util.List.of(), left);
        // callbacks are served in plain text: the same plugin asked for AutoMTLS is refused at deploy, saying so
        drop("tls-counter.grpc.json", Files.readString(folder.resolve("counter.grpc.json")).replace("\"magicCookieValue\": \"hello\"",
                "\"magicCookieValue\": \"hello\", \"autoMTLS\": true"));
        await(() -> "refused: " + PluginFacts.folder(atrium), () -> PluginFacts.refused(atrium, "tls-counter.grpc.json",
                "handshake.autoMTLS: [Counter.put] pass callbacks, which are served in plain text only"));
    }

    /** A contract of its own, in a bundle of the folder, whose method returns the whole response as a record. */
    @Test
    void aContractMayReturnTheResponseAsARecord() throws Exception {
        place(TestPlugins.bundle(work, "test.kvrecords", "1.0.0", java.util.Map.of("test.kvrecords.Store", """
                package test.kvrecords;

                @io.atrium.api.PluginContract
                public interface Store {
                    void put(String key, byte[] value);

                    Stored get(String key);

                    record Stored(byte[] value) {
                    }
                }
                """), java.util.Map.of("Export-Package", "test.kvrecords;version=1.0.0")), "kvrecords-api.jar");
        kv("records", "kv-go-grpc", "");
        drop("records.grpc.json", Files.readString(folder.resolve("records.grpc.json")).replace("io.atrium.api.kv.KV", "test.kvrecords.Store"));
        await(() -> "its service of the record contract is registered: " + String.join("\n", log), () -> {
            try {
                return atrium.bundleContext().getAllServiceReferences("test.kvrecords.Store", "(atrium.plugin.name=records)") != null;
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
        Object store = atrium.bundleContext().getService(atrium.bundleContext().getAllServiceReferences("test.kvrecords.Store", "(atrium.plugin.name=records)")[0]);
        store.getClass().getMethod("put", String.class, byte[].class).invoke(store, "r", new byte[] {(byte) 0xfe, 1});
        Object stored = store.getClass().getMethod("get", String.class).invoke(store, "r");
        byte[] value = (byte[]) stored.getClass().getMethod("value").invoke(stored);
        byte[] expected = ("\u00fe\u0001\n\nWritten from plugin-go-grpc").getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(expected, value, "the response's bytes, through protobuf's JSON into the record");
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
        java.util.concurrent.CompletableFuture<PluginException> failed = new java.util.concurrent.CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                while (true) {
                    store.get("a");
                }
            } catch (PluginException e) {
                failed.complete(e);
            }
        });
        caller.start();
        Thread.sleep(100);
        ProcessHandle.of(before).orElseThrow().destroyForcibly();
        // failed at the broken connection and the end of its stdout; the exit status may still be on its way
        // the call in flight fails as the crash; a caller between two calls when the plugin's service is withdrawn
        // (it was descheduled, once in CI) is told at once that the plugin restarts, and why
        PluginException crash = failed.get(10, TimeUnit.SECONDS);
        String why = "(was killed by signal 9 \\(KILL\\).*|closed its stdout; its exit status follows in the log and plugin:info)";
        assertTrue(crash instanceof io.atrium.api.PluginCrashedException && crash.getMessage().matches("plugin 'kv': " + why)
                || crash instanceof io.atrium.api.PluginUnavailableException && crash.getMessage().matches("plugin 'kv': restarting: " + why),
                crash.toString());
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
        // the facade got before the crash is the plugin's again: a consumer that kept it need not look it up anew
        assertTrue(store.get("a").length > 0);
        assertSame(store, kvService("kv"));
    }

    @Test
    void aPluginThatStopsAnsweringItsHealthCheckIsKilledAndRestarted() throws Exception {
        kv("kv", "kv-go-grpc", "\"limits\": {\"healthIntervalMs\": 200}");
        kvService("kv").put("a", new byte[] {1});
        long before = pid("kv");
        new ProcessBuilder("kill", "-STOP", Long.toString(before)).start().waitFor(); // alive, and answering nothing
        // the health check's deadline says so, as a rule; once in CI the stopped plugin's connection failed first
        // (UNAVAILABLE io exception): killed for not answering all the same
        await(() -> "killed for it:\n" + String.join("\n", log), () -> log.stream().anyMatch(l -> l.startsWith("WARNING plugin 'kv' stopped answering: ")
                && l.contains("go-plugin's health check") && l.contains(" (killed); restarting in ")));
        await("it is restarted", () -> pid("kv") != before && pid("kv") > 0);
        assertEquals(1, kvService("kv").get("a").length > 0 ? 1 : 0);
    }

    @Test
    void aReloadAndAReplacedExecutableUnderLoadFailNoCallAndTheOldProcessExits() throws Exception {
        kv("kv", "kv-go-grpc", "");
        KV store = kvService("kv");
        store.put("a", new byte[] {1});
        Callers callers = new Callers(4, () -> store.get("a"));
        try {
            long first = pid("kv");
            assertEquals(io.atrium.api.PluginState.ACTIVE, PluginFacts.reload(atrium, "kv"));
            long second = pid("kv");
            assertTrue(second != first && second > 0, first + " then " + second);
            await("the old process exits", () -> ProcessHandle.of(first).map(p -> !p.isAlive()).orElse(true));
            // a new build of the plugin (bytes after an ELF's end change its digest, not what it does)
            Path rebuilt = work.resolve("kv-go-grpc");
            Files.copy(BUILT.resolve("kv-go-grpc"), rebuilt, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.write(rebuilt, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
            place(rebuilt, "kv-go-grpc");
            await(() -> "the replaced executable runs: " + String.join("\n", log), () -> pid("kv") != second && pid("kv") > 0);
            await("the process before it exits", () -> ProcessHandle.of(second).map(p -> !p.isAlive()).orElse(true));
            int before = callers.answered();
            await("calls go on", () -> callers.answered() > before + 20);
        } finally {
            callers.close();
        }
        assertEquals(null, callers.failure(), "no call failed during the reload and the replacement");
    }

    @Test
    void theTrustAndCapabilityPoliciesJudgeGrpcPluginsAndStatsCountTheirCalls() throws Exception {
        kv("kv", "kv-go-grpc", "");
        KV store = kvService("kv");
        store.put("a", new byte[] {1});
        store.get("a");
        assertThrows(PluginException.class, () -> store.get("none"));
        String[] header = {"PLUGIN", "METHOD", "TRANSPORT", "CALLS", "ERRORS", "TIMEOUTS", "CRASHES", "P50", "P99"};
        String stats = atrium.execute("plugin:stats kv").output();
        assertTrue(stats.lines().anyMatch(l -> l.matches("kv +get +grpc +2 +1 +0 +0 .*")), stats);
        assertTrue(stats.lines().anyMatch(l -> l.matches("kv +put +grpc +1 +0 +0 +0 .*")), stats);
        assertTrue(stats.lines().findFirst().orElse("").matches(String.join(" +", header)), stats);

        // the trust policy requires gRPC plugins to pin what they run: the running one is refused now
        drop("io.atrium.trust.cfg", "requirePins = grpc\n");
        await(() -> "refused: " + atrium.registry().problems(), () -> atrium.registry().problems().stream().anyMatch(p -> p.plugin().equals("kv")
                && p.reason().equals("is refused: the trust policy refuses it now: it pins none of its files (field sha256), and the trust "
                + "policy (io.atrium.trust requirePins) requires grpc plugins to")));
        await("its service goes", () -> atrium.service(KV.class, "kv").isEmpty());
        String pin = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(BUILT.resolve("kv-go-grpc"))));
        kv("kv", "kv-go-grpc", "\"sha256\": \"" + pin + "\"");
        assertEquals(1, kvService("kv").get("a")[0], "pinned, it runs");

        // a capability the configuration requires of every KV: refused while it does not declare it
        drop("io.atrium.capabilities.cfg", "io.atrium.api.kv.KV = store\n");
        await(() -> "refused: " + atrium.registry().problems(), () -> atrium.registry().problems().stream().anyMatch(p -> p.plugin().equals("kv")
                && p.reason().contains("it lacks the capability store, which the configuration io.atrium.capabilities requires of every KV")));
        kv("kv", "kv-go-grpc", "\"sha256\": \"" + pin + "\", \"capabilities\": [\"store\"]");
        assertEquals(1, kvService("kv").get("a")[0], "declared, it runs");
        assertEquals(java.util.List.of(new io.atrium.api.Capability("store", 0)), atrium.registry().plugin("kv").orElseThrow().capabilities());
    }

    @Test
    void aPluginThatCannotGetMemoryUnderItsCapIsSaidToHaveRunOutOfIt() throws Exception {
        // Go's runtime alone wants more than 32 MiB of data segment at its start
        kv("capped", "kv-go-grpc", "\"limits\": {\"memoryMb\": 24}, \"restart\": {\"maxRestarts\": 0}");
        await(() -> "its death names the cap: " + String.join("\n", log), () -> log.stream().anyMatch(l -> l.startsWith("SEVERE plugin 'capped'")
                && l.contains("exited with status 2: it ran out of memory under its cap of 24 MiB; it said: 'fatal error: out of memory")));
        String info = atrium.execute("plugin:info capped").output();
        assertTrue(info.contains("memory cap") && info.contains("24 MiB"), info);
    }

    @Test
    void withAutoMtlsTheChannelIsMutualTlsWithCertificatesOfThisLaunch() throws Exception {
        kv("kv", "kv-go-grpc", "");
        drop("kv.grpc.json", Files.readString(folder.resolve("kv.grpc.json")).replace("\"protocolVersions\": [1]", "\"protocolVersions\": [1], \"autoMTLS\": true"));
        await(() -> "it runs with TLS: " + String.join("\n", log), () -> atrium.execute("plugin:info kv").output().lines().anyMatch(l -> l.matches(
                "tls +mutual \\(AutoMTLS: a certificate for this launch each way\\)")));
        assertTrue(logs.contains("plugin 'kv': configuring server automatic mTLS"), "go-plugin's own line: " + String.join("\n", log));
        KV store = kvService("kv");
        store.put("secret", "s".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("s\n\nWritten from plugin-go-grpc".getBytes(StandardCharsets.UTF_8), store.get("secret"));
        // the plugin requires the host's certificate: a client without one is turned away at the socket
        String info = atrium.execute("plugin:info kv").output();
        String socket = info.lines().filter(l -> l.startsWith("protocol ")).findFirst().orElseThrow().replaceAll(".* unix ", "").strip();
        var plain = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(socket))
                .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel.class)
                .eventLoopGroup(new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(1)).usePlaintext().build();
        try {
            var health = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder().setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName("grpc.health.v1.Health/Check").setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
            assertThrows(io.grpc.StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls.blockingUnaryCall(plain, health,
                    io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "\n\u0006plugin".getBytes(StandardCharsets.ISO_8859_1)));
        } finally {
            plain.shutdownNow();
        }

        // a plugin that does not do AutoMTLS is refused rather than spoken to in plain text
        place(EXAMPLES.resolve("python/kv_plugin.py"), "kv_plugin.py");
        place(BUILT.resolve("kv_pb2.py"), "kv_pb2.py");
        drop("pykv.grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["/usr/bin/python3", "kv_plugin.py"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello", "autoMTLS": true},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}
                """);
        await(() -> "refused: " + String.join("\n", log), () -> logs.contains("plugin 'pykv' refused: answered handshake.autoMTLS with no "
                + "certificate in its handshake: it does not do go-plugin's AutoMTLS"));
    }

    static final io.grpc.MethodDescriptor.Marshaller<byte[]> BYTES = new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(java.io.InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

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

    /** A "plugin" that is a shell script doing one thing wrong, with a KV manifest. */
    void misbehaving(String name, String script, String limits) throws Exception {
        Files.writeString(folder.resolve(name + ".sh"), script);
        drop(name + ".grpc.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["/bin/sh", "%s.sh"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                 "descriptorSet": "kv.protoset", "service": "proto.KV", "restart": {"maxRestarts": 0}%s}
                """.formatted(name, limits.isEmpty() ? "" : ", \"limits\": {" + limits + "}"));
    }

    @Test
    void aHandshakeThatGoesWrongIsOneLineAndLeavesNoProcess() throws Exception {
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        misbehaving("silent", "exec sleep 60\n", "\"handshakeTimeoutMs\": 500");
        misbehaving("garbled", "echo 'hello there'; exec sleep 60\n", "");
        misbehaving("flood", "head -c 300000 /dev/zero | tr '\\0' a; exec sleep 60\n", "");
        misbehaving("core2", "echo \"2|1|unix|$TMPDIR/p.sock|grpc\"; exec sleep 60\n", "");
        misbehaving("app7", "echo \"1|7|unix|$TMPDIR/p.sock|grpc\"; exec sleep 60\n", "");
        misbehaving("nosocket", "echo \"1|1|unix|$TMPDIR/none.sock|grpc\"; exec sleep 60\n", "");
        // listens, says so, and exits: its socket is left, and no one answers on it
        misbehaving("quitter", "exec /usr/bin/python3 -c 'import os, socket, sys; p = os.environ[\"TMPDIR\"] + \"/p.sock\"; "
                + "s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1); print(\"1|1|unix|\" + p + \"|grpc\", flush=True); sys.exit(3)'\n", "");
        misbehaving("remote", "echo '1|1|tcp|192.0.2.1:1234|grpc'; exec sleep 60\n", "");
        java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("silent", "wrote no handshake line within 500 ms");
        expected.put("garbled", "sent a malformed handshake line 'hello there'");
        expected.put("flood", "sent a malformed handshake line 'aaaaaaaa");
        expected.put("core2", "speaks go-plugin core protocol version 2; this host speaks version 1");
        expected.put("app7", "chose application protocol version 7, which the manifest does not accept");
        expected.put("nosocket", "none.sock in its handshake, which does not exist");
        expected.put("quitter", "exited with status 3, as it was being connected");
        expected.put("remote", "listens on tcp address '192.0.2.1:1234': the host connects to this machine's loopback only");
        for (var e : expected.entrySet()) {
            await(() -> e.getKey() + " refused with '" + e.getValue() + "': " + atrium.registry().problems() + "\n" + String.join("\n", log),
                    () -> log.stream().anyMatch(l -> l.startsWith("SEVERE plugin '" + e.getKey() + "'") && l.contains(e.getValue()) && !l.contains("\n")));
        }
        assertTrue(expected.keySet().stream().allMatch(n -> atrium.service(KV.class, n).isEmpty()));
        await(() -> "no script is left running: " + leftovers(), () -> leftovers().isEmpty());
        assertTrue(log.stream().noneMatch(l -> l.length() > 10_000), "a flood is cut in the log");
        assertEquals(0, atrium.execute("plugin:list").status(), "the server answers");
    }

    @Test
    void aPluginOverItsCpuCapIsKilledSayingSo() throws Exception {
        place(BUILT.resolve("kv.protoset"), "kv.protoset");
        misbehaving("spinner", "while :; do :; done\n", "\"cpuSeconds\": 1, \"handshakeTimeoutMs\": 30000");
        await(() -> "killed at its cap: " + String.join("\n", log), () -> log.stream().anyMatch(l -> l.startsWith("SEVERE plugin 'spinner'")
                && l.contains("was killed by signal 24 (XCPU: CPU time limit reached), before its handshake")));
        await(() -> "no script is left running: " + leftovers(), () -> leftovers().isEmpty());
    }

    /** The processes still running in the plugin folder (a plugin's working folder). */
    java.util.List<String> leftovers() {
        Path in;
        try {
            in = folder.toRealPath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ProcessHandle.allProcesses().filter(p -> {
            try {
                return Path.of("/proc", Long.toString(p.pid()), "cwd").toRealPath().equals(in);
            } catch (java.io.IOException | SecurityException gone) {
                return false;
            }
        }).map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
    }

    @Test
    void aDescriptorSetThatIsMissingOrEmptyAndAResponseOverTheLimitAreOneLine() throws Exception {
        place(BUILT.resolve("kv-go-grpc"), "kv-go-grpc");
        Files.setPosixFilePermissions(folder.resolve("kv-go-grpc"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.write(folder.resolve("empty.protoset"), new byte[0]);
        for (String set : java.util.List.of("gone", "empty")) {
            drop(set + ".grpc.json", """
                    {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./kv-go-grpc"],
                     "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello"},
                     "descriptorSet": "%s.protoset", "service": "proto.KV"}
                    """.formatted(set));
        }
        await(() -> "refused: " + String.join("\n", log), () -> logs.contains("plugin file gone.grpc.json descriptor set gone.protoset is missing (make it with protoc --descriptor_set_out="));
        await(() -> "refused: " + String.join("\n", log), () -> logs.contains("plugin file empty.grpc.json descriptor set empty.protoset is empty"));

        kv("small", "kv-go-grpc", "\"limits\": {\"maxMessageBytes\": 65536}");
        KV store = kvService("small");
        store.put("big", new byte[100_000]); // what the host sends is not its limit
        PluginException big = assertThrows(PluginException.class, () -> store.get("big"));
        assertTrue(big.getMessage().startsWith("plugin 'small': Get failed: RESOURCE_EXHAUSTED"), big.getMessage());
        assertTrue(big.getMessage().endsWith("(the host takes messages up to limits.maxMessageBytes, 65536 bytes)"), big.getMessage());
        store.put("small", new byte[] {7});
        assertEquals(7, store.get("small")[0], "and it goes on answering");
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
