package io.atrium.transport.wasm.abi;

import java.util.HashMap;
import java.util.Map;

/**
 * A plugin's Extism variables ({@code var_get}/{@code var_set}), shared by its instances and kept
 * across calls, under a cap on the bytes they hold together (Extism's {@code max_var_bytes}, which
 * Extism's Java SDK does not enforce).
 */
public final class Variables {
    private final String plugin;
    private final long maxBytes;
    private final Map<String, byte[]> values = new HashMap<>();
    private long bytes;

    public Variables(String plugin, long maxBytes) {
        this.plugin = plugin;
        this.maxBytes = maxBytes;
    }

    synchronized byte[] get(String key) {
        return values.get(key);
    }

    synchronized void put(String key, byte[] value) {
        byte[] old = values.get(key);
        int k = utf8(key);
        long next = bytes - (old == null ? 0 : old.length + k) + value.length + k;
        if (next > maxBytes) {
            throw new ExtismKernel.AbiException("var_set('" + key + "'): the plugin's variables would hold " + next
                    + " bytes, over the limit of " + maxBytes);
        }
        values.put(key, value);
        bytes = next;
    }

    synchronized void remove(String key) {
        byte[] old = values.remove(key);
        if (old != null) {
            bytes -= old.length + utf8(key);
        }
    }

    /** A key's size as the plugin wrote it: its UTF-8 bytes, not its chars. */
    private static int utf8(String key) {
        return key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    @Override
    public String toString() {
        return "variables of " + plugin;
    }
}
