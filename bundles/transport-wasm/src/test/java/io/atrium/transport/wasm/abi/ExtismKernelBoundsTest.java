package io.atrium.transport.wasm.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dylibso.chicory.runtime.HostFunction;
import io.atrium.transport.support.PluginLog;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A module's offsets and lengths are any 64-bit numbers: none may get past the kernel's bounds, near 2^63 least of all. */
class ExtismKernelBoundsTest {
    private final ExtismKernel kernel = new ExtismKernel(new PluginLog("bounds"), Map.of(), new Variables("bounds", 1024), 1 << 20, 1 << 20, null);

    private long[] call(String name, long... args) {
        HostFunction f = kernel.functions().stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow();
        return f.handle().apply(null, args);
    }

    @Test
    void offsetsAndLengthsNearTheEndOfTheNumbersAreRefusedAsSuch() {
        kernel.begin("abcdefgh".getBytes(StandardCharsets.UTF_8));
        long input = call("input_offset")[0];
        assertEquals(0x6867666564636261L, call("load_u64", input)[0], "a load inside the input's block");
        assertEquals(0x6867666564636261L, call("input_load_u64", 0)[0]);
        long block = call("alloc", 4)[0];
        for (long offset : new long[] {0x7FFFFFFFFFFFFFFCL, 0x7FFFFFFFFFFFFFF9L, Long.MAX_VALUE, Long.MIN_VALUE, -8, (1L << 32) + block}) {
            assertThrows(ExtismKernel.AbiException.class, () -> call("load_u64", offset), "load_u64 at " + offset);
            assertThrows(ExtismKernel.AbiException.class, () -> call("store_u64", offset, 1), "store_u64 at " + offset);
            assertThrows(ExtismKernel.AbiException.class, () -> call("load_u8", offset), "load_u8 at " + offset);
            assertThrows(ExtismKernel.AbiException.class, () -> call("input_load_u64", offset), "input_load_u64 at " + offset);
        }
        for (long length : new long[] {-1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 63 - 1, 5}) {
            assertThrows(ExtismKernel.AbiException.class, () -> call("output_set", block, length), "output_set of " + length);
        }
        call("output_set", block, 4); // the whole block: fine
    }
}
