package io.atrium.transport.nativelib.inprocess;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.jna.Pointer;
import io.atrium.api.Capability;
import io.atrium.api.PluginException;
import io.atrium.transport.nativelib.abi.AbiLoader;
import io.atrium.transport.nativelib.abi.Invoker;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.kit.KitInstance;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A native plugin's library loaded in the server's JVM, with what it said of itself: its calls go through
 * its {@link Invoker} on the caller's thread, one at a time unless the library declares
 * {@code "threading": "parallel"}.
 */
public final class LoadedLibrary implements KitInstance {
    private final String plugin;
    private final AbiLoader.Opened opened;
    private final Invoker invoker;
    /** Whether closing unloads it: a Go library never can be, and one shared by a reopen stays. */
    private final Runnable close;
    private final boolean parallel;
    private final long maxOutputBytes;
    /** The library's description: its own contract, version and threading. */
    final String contract;
    final String version;
    final String digest;
    final boolean go;
    /** The names the library says it answers ({@code "methods"} of its description), or null when it does not say. */
    final List<String> methods;
    /** Each method's name as atrium_invoke takes it: NUL-terminated UTF-8, made once. */
    private final Map<String, byte[]> names = new ConcurrentHashMap<>();

    private final CallLedger ledger;
    private final int slot;
    /** What serial calls hold: the library's own, shared by every opening of one mapped library (a Go library opened again). */
    private final Object lock;
    /** Guards the calls in flight and the closing. */
    private final Object gate = new Object();
    private int calls;
    private boolean closing;
    private boolean closed;

    LoadedLibrary(String plugin, AbiLoader.Opened opened, String digest, boolean go, long maxOutputBytes, CallLedger ledger, int slot,
                  Object lock, Runnable close) {
        this.plugin = plugin;
        this.lock = lock;
        this.ledger = ledger;
        this.slot = slot;
        this.opened = opened;
        this.invoker = opened.invoker;
        this.digest = digest;
        this.go = go;
        this.maxOutputBytes = maxOutputBytes;
        this.close = close;
        JsonObject d = description(plugin, opened.description);
        this.contract = string(d, "contract");
        this.version = string(d, "version");
        String threading = string(d, "threading");
        if (threading != null && !threading.equals("serial") && !threading.equals("parallel")) {
            throw new IllegalArgumentException("atrium_describe: 'threading' is '" + threading + "' (expected serial or parallel)");
        }
        this.parallel = "parallel".equals(threading);
        JsonElement ms = d.get("methods");
        if (ms == null) {
            this.methods = null;
        } else if (ms.isJsonArray()) {
            List<String> names = new java.util.ArrayList<>();
            ms.getAsJsonArray().forEach(e -> names.add(e.isJsonPrimitive() ? e.getAsString() : e.toString()));
            this.methods = List.copyOf(names);
        } else {
            throw new IllegalArgumentException("atrium_describe: 'methods' is " + ms + " (expected a list of names)");
        }
    }

    private static JsonObject description(String plugin, String text) {
        try {
            JsonElement e = JsonParser.parseString(text);
            if (e.isJsonObject()) {
                return e.getAsJsonObject();
            }
        } catch (RuntimeException notJson) {
            // said below
        }
        throw new IllegalArgumentException("atrium_describe returned what is not a JSON object: '"
                + (text.length() > 120 ? text.substring(0, 120) + "…" : text) + "'");
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    boolean parallel() {
        return parallel;
    }

    @Override
    public List<Capability> capabilities() {
        return List.of(); // the manifest declares them
    }

    /**
     * @param name the name the library is called with
     * @param json the arguments as a JSON array
     * @return the answer's text
     * @throws PluginException the library's error, or an answer that is too large or not UTF-8
     */
    String invoke(String name, String json) {
        byte[] method = names.get(name);
        if (method == null) {
            method = (name + "\0").getBytes(StandardCharsets.UTF_8);
            if (names.size() < 1024) { // a plugin with no contract is called by any name its callers send: the cache is bounded
                names.put(name, method);
            }
        }
        byte[] request = json.getBytes(StandardCharsets.UTF_8);
        long[] address = new long[1];
        long[] length = new long[1];
        int rc;
        byte[] answer;
        enterCall();
        try {
            if (parallel) {
                rc = call(method, request, address, length);
                answer = answer(name, address[0], length[0]);
            } else {
                synchronized (lock) { // the answer is copied and freed under the lock too: a serial library never runs twice at once
                    rc = call(method, request, address, length);
                    answer = answer(name, address[0], length[0]);
                }
            }
        } finally {
            leaveCall();
        }
        String text = JsonCodec.utf8(answer);
        if (text == null) {
            throw new PluginException(plugin, name + " answered " + answer.length + " bytes that are not UTF-8 text", null);
        }
        if (rc != 0) {
            throw new PluginException(plugin, name + " failed: " + errorMessage(rc, text), null);
        }
        return text;
    }

    /** The call, counted in the ledger while it runs (a call waiting for the lock is not): if the server dies in it, its next start knows whose it was. */
    private int call(byte[] method, byte[] request, long[] address, long[] length) {
        ledger.enter(slot);
        try {
            return invoker.invoke(method, request, address, length);
        } finally {
            ledger.leave(slot);
        }
    }

    /** Copies the library's answer and hands the memory back to it, whatever the answer is. */
    private byte[] answer(String name, long address, long length) {
        if (address == 0) {
            if (length != 0) {
                throw new PluginException(plugin, name + " answered NULL with a length of " + length, null);
            }
            return new byte[0];
        }
        ledger.enter(slot); // its atrium_free is its code too
        try {
            if (length < 0 || length > maxOutputBytes) {
                throw new PluginException(plugin, name + " answered " + Long.toUnsignedString(length) + " bytes, more than limits.maxOutputBytes ("
                        + maxOutputBytes + ")", null);
            }
            return new Pointer(address).getByteArray(0, (int) length);
        } finally {
            invoker.free(address, length);
            ledger.leave(slot);
        }
    }

    /** A call begins: refused once the library is closing, since its code may be gone when the call would run. */
    private void enterCall() {
        synchronized (gate) {
            if (closing) {
                throw new io.atrium.api.PluginUnavailableException(plugin, "was stopped");
            }
            calls++;
        }
    }

    /** A call ends: the last one out of a library being closed closes it. */
    private void leaveCall() {
        boolean last;
        synchronized (gate) {
            calls--;
            last = closing && calls == 0 && !closed;
            closed |= last;
        }
        if (last) {
            close.run();
        }
    }

    private static String errorMessage(int rc, String text) {
        try {
            JsonElement e = JsonParser.parseString(text);
            JsonElement m = e.isJsonObject() ? e.getAsJsonObject().get("message") : null;
            if (m != null && m.isJsonPrimitive()) {
                return m.getAsString();
            }
        } catch (RuntimeException notJson) {
            // the answer as it is
        }
        String t = text.length() > 300 ? text.substring(0, 300) + "…" : text;
        return "returned " + rc + (t.isEmpty() ? "" : " and '" + t + "'") + " (an error answer is {\"code\": …, \"message\": …})";
    }

    /**
     * Closes the library once no call runs in it: unregistering its methods or unloading it under a running call
     * would pull its code (or JNA's record of the call) from under that thread, and crash the server.
     */
    @Override
    public void close() {
        boolean now;
        synchronized (gate) {
            closing = true;
            now = calls == 0 && !closed;
            closed |= now;
        }
        if (now) {
            close.run();
        }
    }

    AbiLoader.Opened opened() {
        return opened;
    }
}
