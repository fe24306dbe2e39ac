package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginState;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A wasm module importing a function from extism:host/user gets it from an io.atrium.spi.HostFunction
 * service of another bundle (examples/wasm/c-host, the C PDK's host-functions pattern): refused in one
 * line while none provides it, deployed by itself once a bundle does, waiting again when it goes; the
 * function's failure is the call's, and its deadline ends a call blocked in it.
 */
class WasmHostFunctionIT extends WasmPluginFolder {
    static final String VOWELS = "\"exports\": {\"greet\": \"count_vowels\"}, \"encoding\": \"raw\"";

    /**
     * A bundle whose DS component provides {@code hello_world}: the twin of examples/wasm/c-host/hello-world.mjs
     * (the plugin's JSON with who answered added), after {@code first} (Java statements that may return or throw early).
     */
    static Path helloWorld(Path work, String bsn, String signature, String first) throws Exception {
        String pkg = bsn.replace('-', '_');
        return TestPlugins.bundle(work, bsn, "1.0.0", Map.of(pkg + ".HelloWorld", """
                package %s;
                import io.atrium.spi.HostFunction;
                import java.util.List;
                import org.osgi.service.component.annotations.Component;
                @Component
                public class HelloWorld implements HostFunction {
                    public String name() { return "hello_world"; }
                    public List<Type> params() { return List.of(Type.%s); }
                    public List<Type> results() { return List.of(Type.%s); }
                    public long[] call(Call call, long... args) throws Exception {
                        String text = call.readString(args[0]);
                        %s
                        return new long[] {call.store(text.replaceAll("}$", ", \\"host\\": \\"hello, " + call.plugin() + "\\"}"))};
                    }
                }
                """.formatted(pkg, signature, signature, first)), Map.of());
    }

    Optional<PluginProblem> problem(String plugin) {
        return atrium.registry().problems().stream().filter(p -> p.plugin().equals(plugin)).findFirst();
    }

    @Test
    void aModuleImportingAHostFunctionNobodyProvidesIsRefusedAndDeployedOnceABundleProvidesIt() throws Exception {
        deploy("vowels", C_HOST, VOWELS);
        String missing = "is refused: vowels.wasm imports extism:host/user::hello_world (i64) -> i64, which no host function provides;"
                + " it is deployed once a bundle provides it";
        await(() -> "vowels is refused: " + atrium.registry().problems(), () -> problem("vowels").map(p -> p.reason().equals(missing)).orElse(false));
        assertEquals(PluginState.FAILED, atrium.registry().plugin("vowels").orElseThrow().state());
        assertTrue(log.stream().anyMatch(l -> l.contains("plugin 'vowels' " + missing)), String.join("\n", log));
        assertTrue(atrium.service(Greeter.class, "vowels").isEmpty());
        // a reload and a start say why, not just "failed"
        for (var steer : java.util.Map.<String, org.junit.jupiter.api.function.Executable>of(
                "reload", () -> PluginFacts.reload(atrium, "vowels"), "start", () -> PluginFacts.start(atrium, "vowels")).entrySet()) {
            io.atrium.api.PluginException said = org.junit.jupiter.api.Assertions.assertThrows(io.atrium.api.PluginException.class, steer.getValue(),
                    steer.getKey());
            assertTrue(said.getMessage().contains("plugin 'vowels': " + missing), steer.getKey() + ": " + said.getMessage());
        }

        // one of another signature is not it
        place(helloWorld(work, "test.hello.i32", "I32", ""), "hello-i32.jar");
        String other = "is refused: vowels.wasm imports extism:host/user::hello_world (i64) -> i64 (the one named so is (i32) -> i32),"
                + " which no host function provides; it is deployed once a bundle provides it";
        await(() -> "vowels names the other signature: " + atrium.registry().problems(),
                () -> problem("vowels").map(p -> p.reason().equals(other)).orElse(false));

        place(helloWorld(work, "test.hello", "I64", ""), "hello.jar");
        assertEquals("{\"count\": 3, \"host\": \"hello, vowels\"}", greeter("vowels").greet("Hello, World!"));
        assertEquals(PluginState.ACTIVE, atrium.registry().plugin("vowels").orElseThrow().state());
        assertTrue(problem("vowels").isEmpty(), atrium.registry().problems().toString());
        assertTrue(info("vowels").contains("extism:host/user::hello_world (i64) -> i64"), info("vowels"));

        Files.delete(folder.resolve("hello.jar")); // its function goes: the plugin waits for it again
        await(() -> "vowels waits again: " + atrium.registry().problems(), () -> problem("vowels").map(p -> p.reason().equals(other)).orElse(false));
        // the reason is set before the service is withdrawn (so a consumer's kept facade can say why): a moment apart
        await("and its service is withdrawn", () -> atrium.service(Greeter.class, "vowels").isEmpty());
        place(helloWorld(work, "test.hello", "I64", ""), "hello.jar");
        assertEquals("{\"count\": 2, \"host\": \"hello, vowels\"}", greeter("vowels").greet("Salom"));
    }

    @Test
    void aHostFunctionsFailureFailsTheCallAndItsDeadlineEndsACallBlockedInIt() throws Exception {
        place(helloWorld(work, "test.hello.moody", "I64", """
                if (text.equals("{\\"count\\": 0}")) throw new IllegalStateException("no vowels to greet");
                if (text.equals("{\\"count\\": 1}")) Thread.sleep(600_000);
                """), "moody.jar");
        deploy("vowels", C_HOST, VOWELS + ", \"limits\": {\"callTimeoutMs\": 1000}");
        Greeter vowels = greeter("vowels");
        assertEquals("{\"count\": 2, \"host\": \"hello, vowels\"}", vowels.greet("Dunyo"));

        PluginException failed = assertThrows(PluginException.class, () -> vowels.greet("xyz"));
        assertEquals("plugin 'vowels': count_vowels failed: host function extism:host/user::hello_world failed:"
                + " java.lang.IllegalStateException: no vowels to greet; the instance was discarded", failed.getMessage());

        PluginTimeoutException late = assertThrows(PluginTimeoutException.class, () -> vowels.greet("a"));
        assertEquals("plugin 'vowels': count_vowels ran past its deadline of 1000 ms and was stopped; the instance was discarded", late.getMessage());

        assertEquals("{\"count\": 2, \"host\": \"hello, vowels\"}", vowels.greet("Dunyo"), "the next call runs on a new instance");
    }

    /** A module whose greet calls {@code acme::tick () -> ()} and outputs nothing; its bytes, as the WAT would compile. */
    static final byte[] ACME = {0, 'a', 's', 'm', 1, 0, 0, 0,
            1, 8, 2, 0x60, 0, 0, 0x60, 0, 1, 0x7f, // types: () -> (), () -> i32
            2, 13, 1, 4, 'a', 'c', 'm', 'e', 4, 't', 'i', 'c', 'k', 0, 0, // import acme::tick, type 0
            3, 2, 1, 1, // one function, type 1
            7, 9, 1, 5, 'g', 'r', 'e', 'e', 't', 0, 1, // export greet = function 1
            10, 8, 1, 6, 0, 0x10, 0, 0x41, 0, 0x0b}; // greet: call tick, i32.const 0

    /** As {@link #ACME}, importing acme::tick twice (as a linker may leave it) and calling the second. */
    static final byte[] ACME_TWICE = {0, 'a', 's', 'm', 1, 0, 0, 0,
            1, 8, 2, 0x60, 0, 0, 0x60, 0, 1, 0x7f,
            2, 25, 2, 4, 'a', 'c', 'm', 'e', 4, 't', 'i', 'c', 'k', 0, 0, 4, 'a', 'c', 'm', 'e', 4, 't', 'i', 'c', 'k', 0, 0,
            3, 2, 1, 1,
            7, 9, 1, 5, 'g', 'r', 'e', 'e', 't', 0, 2,
            10, 8, 1, 6, 0, 0x10, 1, 0x41, 0, 0x0b};

    /** A bundle providing {@code acme::tick}: a namespace of its own. */
    static Path acmeTick(Path work) throws Exception {
        return TestPlugins.bundle(work, "test.acme", "1.0.0", Map.of("test_acme.Tick", """
                package test_acme;
                import io.atrium.spi.HostFunction;
                import java.util.List;
                import org.osgi.service.component.annotations.Component;
                @Component
                public class Tick implements HostFunction {
                    public String namespace() { return "acme"; }
                    public String name() { return "tick"; }
                    public List<Type> params() { return List.of(); }
                    public List<Type> results() { return List.of(); }
                    public long[] call(Call call, long... args) { return new long[0]; }
                }
                """), Map.of());
    }

    boolean aHostFunctionIsRegistered() {
        try {
            return atrium.bundleContext().getAllServiceReferences("io.atrium.spi.HostFunction", null) != null;
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aPluginBoundToAFunctionOfAnotherNamespaceWaitsWhenItsBundleGoes() throws Exception {
        place(acmeTick(work), "acme.jar");
        // a namespace no service declared is refused, not awaited: the module comes once acme::tick is registered
        await("acme::tick is registered", this::aHostFunctionIsRegistered);
        Files.write(folder.resolve("acme.wasm"), ACME);
        manifest("acme", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"acme.wasm\", \"encoding\": \"raw\"}");
        assertEquals("", greeter("acme").greet("x"));
        assertTrue(info("acme").contains("acme::tick () -> ()"), info("acme"));
        Files.write(folder.resolve("twice.wasm"), ACME_TWICE);
        manifest("twice", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"twice.wasm\", \"encoding\": \"raw\"}");
        assertEquals("", greeter("twice").greet("x"), "a function imported twice is bound twice");

        Files.delete(folder.resolve("acme.jar")); // its function's bundle goes: the plugin must not keep calling into it
        String waits = "is refused: acme.wasm imports acme::tick () -> (), which no host function provides; it is deployed once a bundle provides it";
        await(() -> "acme waits: " + atrium.registry().problems() + "\n" + String.join("\n", log),
                () -> problem("acme").map(p -> p.reason().equals(waits)).orElse(false));
        assertTrue(atrium.service(Greeter.class, "acme").isEmpty());

        place(acmeTick(work), "acme.jar");
        assertEquals("", greeter("acme").greet("y"));
    }
}
