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
 * by its length. It is emptied at the start of every call; the input is a separate read-only array.
 * Not thread-safe: an instance runs one call at a time.
 */
public final class ExtismKernel {
    /** The import module every Extism PDK uses. */
    public static final String MODULE = "extism:host/env";
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long[] NONE = new long[0];

    private final Map<String, String> config;
    private final Variables vars;
    private final PluginLog log;
    private final long maxMemory;
    private final long maxOutput;
    private final HttpGrant http;
    private int httpStatus;
    private byte[] mem = new byte[1024];
    private final BitSet blocks = new BitSet();
    private int top;
    private byte[] input = new byte[0];
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
     * @param vars      the plugin's variables, shared by its instances
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

    /** Starts a call: Extism memory empty, the input set, no output or error yet. */
    public void begin(byte[] callInput) {
        top = 8;
        blocks.clear();
        input = callInput;
        outLength = -1;
        outOffset = 0;
        errorOffset = 0;
        httpStatus = 0;
    }

    /** @return the bytes the call set as its output, or null when it set none */
    public byte[] output() {
        return outLength < 0 ? null : Arrays.copyOfRange(mem, (int) outOffset, (int) (outOffset + outLength));
    }

    /** @return the error the plugin set with {@code error_set}, or null */
    public String error() {
        return errorOffset == 0 ? null : new String(mem, (int) errorOffset, length(errorOffset), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ Extism memory

    long alloc(long n) {
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
        top = (end + 7) & ~7;
        return offset;
    }

    int length(long offset) {
        if (offset <= 0 || offset >= top || (offset & 7) != 0 || !blocks.get((int) (offset >>> 3))) {
            return 0;
        }
        return (int) (long) LONG.get(mem, (int) offset - 8);
    }

    private void check(long offset, int size) {
        if (offset < 8 || offset + size > top) {
            throw new AbiException("accessed " + size + " byte(s) of Extism memory at " + offset + ", past the end of its blocks (" + top + ")");
        }
    }

    private String string(long offset) {
        int n = length(offset);
        return new String(mem, (int) offset, n, StandardCharsets.UTF_8);
    }

    private long store(byte[] bytes) {
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
        f.add(fn("input_length", List.of(), List.of(i64), (inst, a) -> one(input.length)));
        f.add(fn("input_offset", List.of(), List.of(i64), (inst, a) -> one(0)));
        f.add(fn("input_load_u8", List.of(i64), List.of(i32), (inst, a) -> {
            if (a[0] < 0 || a[0] >= input.length) {
                throw new AbiException("input_load_u8(" + a[0] + ") is past the input's " + input.length + " bytes");
            }
            return one(input[(int) a[0]] & 0xff);
        }));
        f.add(fn("input_load_u64", List.of(i64), List.of(i64), (inst, a) -> {
            if (a[0] < 0 || a[0] + 8 > input.length) {
                throw new AbiException("input_load_u64(" + a[0] + ") is past the input's " + input.length + " bytes");
            }
            return one((long) LONG.get(input, (int) a[0]));
        }));
        f.add(fn("alloc", List.of(i64), List.of(i64), (inst, a) -> one(alloc(a[0]))));
        f.add(fn("free", List.of(i64), List.of(), (inst, a) -> {
            if (length(a[0]) > 0 || a[0] == 0) {
                blocks.clear((int) (a[0] >>> 3)); // the space comes back when the call ends
            }
            return NONE;
        }));
        f.add(fn("length", List.of(i64), List.of(i64), (inst, a) -> one(length(a[0]))));
        f.add(fn("length_unsafe", List.of(i64), List.of(i64), (inst, a) -> one(length(a[0]))));
        f.add(fn("load_u8", List.of(i64), List.of(i32), (inst, a) -> {
            check(a[0], 1);
            return one(mem[(int) a[0]] & 0xff);
        }));
        f.add(fn("load_u64", List.of(i64), List.of(i64), (inst, a) -> {
            check(a[0], 8);
            return one((long) LONG.get(mem, (int) a[0]));
        }));
        f.add(fn("store_u8", List.of(i64, i32), List.of(), (inst, a) -> {
            check(a[0], 1);
            mem[(int) a[0]] = (byte) a[1];
            return NONE;
        }));
        f.add(fn("store_u64", List.of(i64, i64), List.of(), (inst, a) -> {
            check(a[0], 8);
            LONG.set(mem, (int) a[0], a[1]);
            return NONE;
        }));
        f.add(fn("output_set", List.of(i64, i64), List.of(), (inst, a) -> {
            if (a[1] > maxOutput) {
                throw new AbiException("set an output of " + a[1] + " bytes, over the limit of " + maxOutput);
            }
            check(a[0], (int) a[1]);
            outOffset = a[0];
            outLength = a[1];
            return NONE;
        }));
        f.add(fn("error_set", List.of(i64), List.of(), (inst, a) -> {
            errorOffset = a[0] == 0 || length(a[0]) > 0 ? a[0] : errorOffset;
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
                vars.put(key, Arrays.copyOfRange(mem, (int) a[1], (int) a[1] + n));
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
