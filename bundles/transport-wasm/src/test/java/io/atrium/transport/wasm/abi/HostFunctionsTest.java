package io.atrium.transport.wasm.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.atrium.spi.HostFunction;
import io.atrium.transport.support.PluginLog;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A module's imports are bound to the host functions registered, by namespace, name and signature; their calls reach Extism memory. */
class HostFunctionsTest {
    private final CountDownLatch changed = new CountDownLatch(2);
    private final HostFunctions registry = new HostFunctions(changed::countDown);
    private static final FunctionType I64_I64 = FunctionType.of(List.of(ValType.I64), List.of(ValType.I64));
    private static final HostFunctions.Import HELLO = new HostFunctions.Import(HostFunction.USER, "hello_world", I64_I64);

    @AfterEach
    void close() {
        registry.close();
    }

    /** A host function answering {@code answer(call, args)}. */
    record Fn(String namespace, String name, List<Type> params, List<Type> results, Answer answer) implements HostFunction {
        interface Answer {
            long[] apply(Call call, long[] args) throws Exception;
        }

        @Override
        public long[] call(Call call, long... args) throws Exception {
            return answer.apply(call, args);
        }
    }

    static Fn hello(List<HostFunction.Type> params, String prefix) {
        return new Fn(HostFunction.USER, "hello_world", params, List.of(HostFunction.Type.I64),
                (call, args) -> new long[] {call.store(prefix + call.readString(args[0]) + " from " + call.plugin())});
    }

    @Test
    void anImportNobodyProvidesIsNamedWithItsSignatureAndTheOneOfAnotherSignature() throws Exception {
        HostFunctions.Missing none = assertThrows(HostFunctions.Missing.class, () -> registry.bind("m.wasm", List.of(HELLO)));
        assertEquals("m.wasm imports extism:host/user::hello_world (i64) -> i64, which no host function provides", none.getMessage());

        registry.add(hello(List.of(HostFunction.Type.I32), "x"), Map.of("service.id", 1L));
        HostFunctions.Missing other = assertThrows(HostFunctions.Missing.class, () -> registry.bind("m.wasm",
                List.of(HELLO, new HostFunctions.Import("env", "f", FunctionType.of(List.of(), List.of())))));
        assertEquals("m.wasm imports extism:host/user::hello_world (i64) -> i64 (the one named so is (i32) -> i64) and env::f () -> (),"
                + " which no host function provides", other.getMessage());
        assertTrue(registry.isHostNamespace(HostFunction.USER));
        assertFalse(registry.isHostNamespace("env"), "only a namespace some service declares");
    }

    @Test
    void theHighestRankedFunctionOfTheSignatureIsBoundAndCallsReachExtismMemory() throws Exception {
        HostFunction low = hello(List.of(HostFunction.Type.I64), "low: ");
        HostFunction high = hello(List.of(HostFunction.Type.I64), "high: ");
        registry.add(low, Map.of("service.id", 1L));
        registry.add(high, Map.of("service.id", 2L, "service.ranking", 5));
        assertTrue(changed.await(10, TimeUnit.SECONDS), "the transport is told of each change");
        HostFunctions.Bound bound = registry.bind("m.wasm", List.of(HELLO));
        assertEquals("extism:host/user::hello_world (i64) -> i64", bound.toString());

        ExtismKernel kernel = new ExtismKernel(new PluginLog("p"), Map.of(), new Variables("p", 1024), 1 << 20, 1 << 20, null);
        kernel.begin(new byte[0]);
        long world = kernel.store("World".getBytes(StandardCharsets.UTF_8)); // as the plugin's alloc and stores would
        var f = bound.forInstance(kernel, "greeter").get(0);
        long out = f.handle().apply(null, world)[0];
        assertArrayEquals("high: World from greeter".getBytes(StandardCharsets.UTF_8), kernel.block(out));

        assertFalse(registry.gone(bound));
        registry.remove(high);
        assertTrue(registry.gone(bound), "the module is bound again when its function goes");
    }

    @Test
    void aHostFunctionsFailureIsTheCallsNamingTheFunction() {
        registry.add(new Fn(HostFunction.USER, "hello_world", List.of(HostFunction.Type.I64), List.of(HostFunction.Type.I64),
                (call, args) -> call.read(args[0]) == null ? null : new long[] {call.store(call.read(12345))}), Map.of());
        ExtismKernel kernel = new ExtismKernel(new PluginLog("p"), Map.of(), new Variables("p", 1024), 1 << 20, 1 << 20, null);
        kernel.begin(new byte[0]);
        long world = kernel.store("World".getBytes(StandardCharsets.UTF_8));
        var f = registry.bind("m.wasm", List.of(HELLO)).forInstance(kernel, "greeter").get(0);
        ExtismKernel.AbiException e = assertThrows(ExtismKernel.AbiException.class, () -> f.handle().apply(null, world));
        assertEquals("host function extism:host/user::hello_world failed: java.lang.IllegalArgumentException:"
                + " no block of Extism memory starts at 12345", e.getMessage());
    }

    /** A service that cannot say what it is: {@code name()} throws or {@code params()} is null. */
    static HostFunction broken(boolean throwing) {
        return new HostFunction() {
            @Override
            public String name() {
                if (throwing) {
                    throw new IllegalStateException("not configured yet");
                }
                return "hello_world";
            }

            @Override
            public List<Type> params() {
                return null;
            }

            @Override
            public List<Type> results() {
                return List.of(Type.I64);
            }

            @Override
            public long[] call(Call call, long... args) {
                return new long[] {0};
            }
        };
    }

    @Test
    void aServiceThatCannotSayItsNameOrSignatureIsIgnoredAndTheOthersStillBind() {
        registry.add(broken(true), Map.of("service.id", 1L, "service.ranking", 9));
        registry.add(broken(false), Map.of("service.id", 2L, "service.ranking", 9));
        registry.add(hello(List.of(HostFunction.Type.I64), "ok: "), Map.of("service.id", 3L));
        assertEquals("extism:host/user::hello_world (i64) -> i64", registry.bind("m.wasm", List.of(HELLO)).toString());
        assertFalse(registry.isHostNamespace("env"));
    }

    @Test
    void noServiceMayAddFunctionsToTheKernelsOrWasisNamespace() {
        FunctionType none = FunctionType.of(List.of(), List.of());
        for (String ns : List.of(ExtismKernel.MODULE, "wasi_snapshot_preview1")) {
            registry.add(new Fn(ns, "fd_write", List.of(), List.of(), (call, args) -> null), Map.of("service.id", 1L));
            assertFalse(registry.isHostNamespace(ns), ns + " is Atrium's own: a module without the WASI grant gets no fd_write from a bundle");
            assertThrows(HostFunctions.Missing.class, () -> registry.bind("m.wasm", List.of(new HostFunctions.Import(ns, "fd_write", none))));
        }
    }

    @Test
    void aModulesOffsetsOutsideExtismMemoryAreAClearRefusalOfRead() {
        ExtismKernel kernel = new ExtismKernel(new PluginLog("p"), Map.of(), new Variables("p", 1024), 1 << 20, 1 << 20, null);
        kernel.begin(new byte[0]);
        long world = kernel.store("World".getBytes(StandardCharsets.UTF_8));
        registry.add(hello(List.of(HostFunction.Type.I64), ""), Map.of());
        var f = registry.bind("m.wasm", List.of(HELLO)).forInstance(kernel, "greeter").get(0);
        for (long offset : new long[] {-8, world + 1, world + 8, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE}) {
            ExtismKernel.AbiException e = assertThrows(ExtismKernel.AbiException.class, () -> f.handle().apply(null, offset));
            assertEquals("host function extism:host/user::hello_world failed: java.lang.IllegalArgumentException:"
                    + " no block of Extism memory starts at " + offset, e.getMessage());
        }
    }

    @Test
    void aCallKeptByAHostFunctionCannotReachExtismMemoryAfterItsCall() throws Exception {
        HostFunction.Call[] kept = new HostFunction.Call[1];
        registry.add(new Fn(HostFunction.USER, "hello_world", List.of(HostFunction.Type.I64), List.of(HostFunction.Type.I64), (call, args) -> {
            kept[0] = call;
            return new long[] {call.store(call.read(args[0]))};
        }), Map.of());
        ExtismKernel kernel = new ExtismKernel(new PluginLog("p"), Map.of(), new Variables("p", 1024), 1 << 20, 1 << 20, null);
        kernel.begin(new byte[0]);
        long world = kernel.store("World".getBytes(StandardCharsets.UTF_8));
        var f = registry.bind("m.wasm", List.of(HELLO)).forInstance(kernel, "greeter").get(0);
        assertArrayEquals("World".getBytes(StandardCharsets.UTF_8), kernel.block(f.handle().apply(null, world)[0]));

        IllegalStateException late = assertThrows(IllegalStateException.class, () -> kept[0].read(world));
        assertEquals("the Call of plugin 'greeter' is used outside its host function's call", late.getMessage());
        assertThrows(IllegalStateException.class, () -> kept[0].store(new byte[] {1}));
        assertEquals("greeter", kept[0].plugin(), "its name stays readable");
    }
}
