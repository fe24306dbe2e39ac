package io.atrium.transport.wasm.abi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import io.atrium.transport.support.PluginLog;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

/**
 * The host side of Extism's plugin ABI (module {@code extism:host/env}) for one instance, written in
 * Java rather than linked as Extism's kernel module: "Extism memory" is a byte array here, so each of
 * the ABI's small loads and stores is an array access, not a call into a second wasm module. A plugin
 * built with any Extism PDK runs unmodified.
 *
 * <p>Extism memory holds blocks, each found by its offset (never 0, which means "none") and preceded
 * by its length, as in Extism's kernel. It is emptied at the start of every call, and the input is
 * its first block ({@code input_offset}), so a PDK may read it with {@code input_load_*} or, as the C
 * PDK does, with {@code length} and {@code load_*} at {@code input_offset}. Loads and stores must stay
 * inside one block: one that runs past its block's end fails the call (it would overwrite the next
 * block, or cut an output short). Freed blocks are not reused within a call.
 * Not thread-safe: an instance runs one call at a time.
 */
public final class ExtismKernel {
    /** The import module every Extism PDK uses. */
    public static final String MODULE = "extism:host/env";
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long[] NONE = new long[0];
    /** Extism memory past this size is given back at the next call, so an idle instance does not keep a large call's array. */
    private static final int KEEP = 1 << 20;

    private final Map<String, String> config;
    private final Variables vars;
    private final PluginLog log;
    private final long maxMemory;
    private final long maxOutput;
    private final HttpGrant http;
    private int httpStatus;
    private byte[] mem = new byte[1024];
    /** The blocks not freed, by offset / 8. */
    private final BitSet blocks = new BitSet();
    /** Every block's offset in this call, ascending (the allocator only bumps): finds the block an address falls in. */
    private int[] starts = new int[64];
    private int count;
    /** The block an access fell in last; the next access is most often in the same one. */
    private int lastStart;
    private int lastEnd;
    private int top;
    private long inputOffset;
    private long inputLength;
    private long outOffset;
    private long outLength = -1;
    private long errorOffset;

    /** A failure inside an ABI function: the call stops and fails with this message. */
    public static final class AbiException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AbiException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param log       the plugin's log (rate-limited, under its name)
     * @param config    what {@code config_get} answers
     * @param vars      the plugin's variables, kept across calls
     * @param maxMemory the most bytes Extism memory may hold
     * @param maxOutput the largest output a call may set
     * @param http      the hosts the plugin may reach, or null for none
     */
    public ExtismKernel(PluginLog log, Map<String, String> config, Variables vars, long maxMemory, long maxOutput, HttpGrant http) {
        this.http = http;
        this.config = config;
        this.vars = vars;
        this.log = log;
        this.maxMemory = maxMemory;
        this.maxOutput = maxOutput;
        begin(new byte[0]);
    }

    /**
     * Starts a call: Extism memory empty but for the input's block (none for an empty input: offset 0,
     * as in Extism's kernel), no output or error yet.
     *
     * @throws AbiException when the input does not fit in Extism memory
     */
    public void begin(byte[] callInput) {
        top = 8;
        count = 0;
        lastStart = 0;
        lastEnd = 0;
        blocks.clear();
        if (mem.length > KEEP) {
            mem = new byte[1024];
        }
        outLength = -1;
        outOffset = 0;
        errorOffset = 0;
        httpStatus = 0;
        inputOffset = store(callInput);
        inputLength = callInput.length;
    }

    /** @return the bytes the call set as its output, or null when it set none */
    public byte[] output() {
        return outLength < 0 ? null : Arrays.copyOfRange(mem, (int) outOffset, (int) (outOffset + outLength));
    }

    /** @return the error the plugin set with {@code error_set}, or null */
    public String error() {
        return errorOffset == 0 ? null : string(errorOffset);
    }

    // ------------------------------------------------------------------ Extism memory

    /** Extism's alloc: 0 for 0 bytes, as its kernel answers. */
    long alloc(long n) {
        if (n == 0) {
            return 0;
        }
        if (n < 0 || top + 8L + n > maxMemory) {
            throw new AbiException("alloc(" + n + "): Extism memory would pass its cap of " + maxMemory + " bytes");
        }
        int offset = top + 8;
        int end = (int) (offset + n);
        if (end > mem.length) {
            mem = Arrays.copyOf(mem, (int) Math.min(maxMemory, Math.max(end, (long) mem.length * 2)));
        }
        LONG.set(mem, top, n);
        blocks.set(offset >>> 3);
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
        }
        starts[count++] = offset;
        top = (end + 7) & ~7;
        return offset;
    }

    /** @return the length of the block at {@code offset}, or 0 when no block (not freed) starts there, as Extism's kernel answers */
    int length(long offset) {
        if (offset <= 0 || offset >= top || (offset & 7) != 0 || !blocks.get((int) (offset >>> 3))) {
            return 0;
        }
        return size((int) offset);
    }

    private int size(int start) {
        return (int) (long) LONG.get(mem, start - 8);
    }

    /** @throws AbiException unless {@code size} bytes at {@code offset} lie inside one block */
    private void check(String what, long offset, long size) {
        // a module's numbers may be anything: compared so that no sum overflows (2^63 - 4 + 8 is negative)
        if (offset < 0 || size < 0 || offset > Integer.MAX_VALUE) {
            throw new AbiException(what + ": " + size + " byte(s) at " + offset + " are in no block of Extism memory");
        }
        if (offset >= lastStart && size <= lastEnd - offset && lastStart > 0) {
            return;
        }
        int i = count - 1;
        if (offset < top) { // the last block at or before offset
            int lo = 0;
            int hi = count - 1;
            i = -1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (starts[mid] <= offset) {
                    i = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
        }
        int start = i < 0 ? 0 : starts[i];
        int end = i < 0 ? 0 : start + size(start);
        if (i < 0 || offset < start || size > end - offset) {
            throw new AbiException(what + ": " + size + " byte(s) at " + offset + (i < 0 || offset >= top ? " are in no block of Extism memory"
                    : " run past the end of the " + (end - start) + "-byte block at " + start));
        }
        lastStart = start;
        lastEnd = end;
    }

    private String string(long offset) {
        int n = length(offset);
        return new String(mem, (int) offset, n, StandardCharsets.UTF_8);
    }

    /**
     * A copy of the block at {@code offset}, for a host function reading its argument (0, "none": no bytes).
     *
     * @throws AbiException when no block (not freed) starts there
     */
    byte[] block(long offset) {
        if (offset == 0) {
            return new byte[0];
        }
        int n = length(offset);
        if (n == 0) {
            throw new AbiException("no block of Extism memory starts at " + offset);
        }
        return Arrays.copyOfRange(mem, (int) offset, (int) offset + n);
    }

    /** A new block holding {@code bytes}; its offset (0 for none). */
    long store(byte[] bytes) {
        long offset = alloc(bytes.length);
        System.arraycopy(bytes, 0, mem, (int) offset, bytes.length);
        return offset;
    }

    // ------------------------------------------------------------------ the ABI's functions

    /** @return the ABI's functions bound to this kernel, for the instance's imports */
    public List<HostFunction> functions() {
        List<HostFunction> f = new ArrayList<>();
        ValType i64 = ValType.I64;
        ValType i32 = ValType.I32;
        f.add(fn("input_length", List.of(), List.of(i64), (inst, a) -> one(inputLength)));
        f.add(fn("input_offset", List.of(), List.of(i64), (inst, a) -> one(inputOffset)));
        f.add(fn("input_load_u8", List.of(i64), List.of(i32), (inst, a) -> {
            if (a[0] < 0 || a[0] >= inputLength) {
                throw new AbiException("input_load_u8(" + a[0] + ") is past the input's " + inputLength + " bytes");
            }
            return one(mem[(int) (inputOffset + a[0])] & 0xff);
        }));
        f.add(fn("input_load_u64", List.of(i64), List.of(i64), (inst, a) -> {
            if (a[0] < 0 || a[0] > inputLength - 8) {
                throw new AbiException("input_load_u64(" + a[0] + ") is past the input's " + inputLength + " bytes");
            }
            return one((long) LONG.get(mem, (int) (inputOffset + a[0])));
        }));
        f.add(fn("alloc", List.of(i64), List.of(i64), (inst, a) -> one(alloc(a[0]))));
        f.add(fn("free", List.of(i64), List.of(), (inst, a) -> {
            if (length(a[0]) > 0) {
                blocks.clear((int) (a[0] >>> 3)); // the space comes back when the call ends
                if (a[0] == inputOffset) {
                    inputLength = 0; // as Extism's kernel does: the input is gone
                }
            }
            return NONE;
        }));
        f.add(fn("length", List.of(i64), List.of(i64), (inst, a) -> one(length(a[0]))));
        f.add(fn("length_unsafe", List.of(i64), List.of(i64), (inst, a) -> one(length(a[0]))));
        f.add(fn("load_u8", List.of(i64), List.of(i32), (inst, a) -> {
            check("load_u8", a[0], 1);
            return one(mem[(int) a[0]] & 0xff);
        }));
        f.add(fn("load_u64", List.of(i64), List.of(i64), (inst, a) -> {
            check("load_u64", a[0], 8);
            return one((long) LONG.get(mem, (int) a[0]));
        }));
        f.add(fn("store_u8", List.of(i64, i32), List.of(), (inst, a) -> {
            check("store_u8", a[0], 1);
            mem[(int) a[0]] = (byte) a[1];
            return NONE;
        }));
        f.add(fn("store_u64", List.of(i64, i64), List.of(), (inst, a) -> {
            check("store_u64", a[0], 8);
            LONG.set(mem, (int) a[0], a[1]);
            return NONE;
        }));
        f.add(fn("output_set", List.of(i64, i64), List.of(), (inst, a) -> {
            if (a[1] > maxOutput) {
                throw new AbiException("set an output of " + a[1] + " bytes, over the limit of " + maxOutput);
            }
            if (a[1] < 0) {
                throw new AbiException("set an output of " + a[1] + " bytes");
            }
            if (a[0] != 0 || a[1] != 0) { // (0, 0): the empty output, where alloc(0) put it
                check("output_set", a[0], a[1]);
                if (!blocks.get(lastStart >>> 3)) {
                    throw new AbiException("output_set: the block at " + lastStart + " was freed");
                }
            }
            outOffset = a[0];
            outLength = a[1];
            return NONE;
        }));
        f.add(fn("error_set", List.of(i64), List.of(), (inst, a) -> {
            if (a[0] != 0 && length(a[0]) == 0) { // (no block is empty: alloc(0) is 0)
                throw new AbiException("error_set(" + a[0] + "): no block starts there");
            }
            errorOffset = a[0]; // 0 clears the error, as in Extism's kernel
            return NONE;
        }));
        f.add(fn("error_get", List.of(), List.of(i64), (inst, a) -> one(errorOffset)));
        f.add(fn("config_get", List.of(i64), List.of(i64), (inst, a) -> {
            String v = config.get(string(a[0]));
            return one(v == null ? 0 : store(v.getBytes(StandardCharsets.UTF_8)));
        }));
        f.add(fn("var_get", List.of(i64), List.of(i64), (inst, a) -> {
            byte[] v = vars.get(string(a[0]));
            return one(v == null ? 0 : store(v));
        }));
        f.add(fn("var_set", List.of(i64, i64), List.of(), (inst, a) -> {
            String key = string(a[0]);
            if (a[1] == 0) {
                vars.remove(key);
            } else {
                int n = length(a[1]);
                if (n == 0) {
                    throw new AbiException("var_set('" + key + "'): no block starts at " + a[1]);
                }
                vars.put(key, Arrays.copyOfRange(mem, (int) a[1], (int) a[1] + n)); // a copy: the block goes when the call ends
            }
            return NONE;
        }));
        f.add(fn("http_request", List.of(i64, i64), List.of(i64), (inst, a) -> {
            if (http == null) {
                throw new AbiException("http_request: the plugin is granted no hosts (allowedHosts in its manifest)");
            }
            byte[] body = a[1] == 0 ? null : Arrays.copyOfRange(mem, (int) a[1], (int) a[1] + length(a[1]));
            HttpGrant.Response r = http.send(string(a[0]), body);
            httpStatus = r.status();
            return one(store(r.body()));
        }));
        f.add(fn("http_status_code", List.of(), List.of(i32), (inst, a) -> one(httpStatus)));
        f.add(fn("http_headers", List.of(), List.of(i64), (inst, a) -> one(0)));
        f.add(fn("get_log_level", List.of(), List.of(i32), (inst, a) -> one(logLevel())));
        for (String level : List.of("trace", "debug", "info", "warn", "error")) {
            f.add(fn("log_" + level, List.of(ValType.I64), List.of(), (inst, a) -> {
                log.callback(level, string(a[0]));
                return NONE;
            }));
        }
        return f;
    }

    /** Extism's levels: trace 0, debug 1, info 2, warn 3, error 4; the plugin skips what the host would drop. */
    private int logLevel() {
        return log.isLoggable(Level.FINER) ? 0 : log.isLoggable(Level.FINE) ? 1 : log.isLoggable(Level.INFO) ? 2
                : log.isLoggable(Level.WARNING) ? 3 : 4;
    }

    private static HostFunction fn(String name, List<ValType> params, List<ValType> results, WasmFunctionHandle handle) {
        return new HostFunction(MODULE, name, FunctionType.of(params, results), handle);
    }

    private static long[] one(long v) {
        return new long[] {v};
    }

    /** The names of the functions this kernel provides, for checking a module's imports before linking. */
    public static final List<String> NAMES = List.of("input_length", "input_offset", "input_load_u8", "input_load_u64", "alloc",
            "free", "length", "length_unsafe", "load_u8", "load_u64", "store_u8", "store_u64", "output_set", "error_set",
            "error_get", "config_get", "var_get", "var_set", "http_request", "http_status_code", "http_headers",
            "get_log_level", "log_trace", "log_debug", "log_info", "log_warn", "log_error");
}
