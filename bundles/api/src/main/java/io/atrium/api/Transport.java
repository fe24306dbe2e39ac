package io.atrium.api;

import java.util.Locale;

/**
 * The transports that shipped with Atrium 1.0–1.2. Since 1.3 a transport is named by the id it
 * declares ({@link PluginDescriptor#transportId()}, the {@link PluginProperties#TRANSPORT} property),
 * so a new one needs no change here; a plugin of any other transport is {@link #OTHER} to this enum.
 *
 * @deprecated since 1.3: use the transport id, {@link PluginDescriptor#transportId()}
 */
@Deprecated(since = "1.3")
public enum Transport {
    /** A bundle in the server's own JVM: fastest, least isolated. */
    IN_PROCESS(PluginProperties.IN_PROCESS),
    /** An executable in any language, in its own operating-system process. */
    PROCESS("process"),
    /** A WebAssembly module in a pure-Java sandbox. */
    WASM("wasm"),
    /** Any other transport; its id is the descriptor's {@link PluginDescriptor#transportId()}. Since 1.3. */
    OTHER("other");

    private final String id;

    Transport(String id) {
        this.id = id;
    }

    /** @return the name used in service properties, the shell and the HTTP API, e.g. {@code in-process} */
    public String id() {
        return id;
    }

    /**
     * @param id a transport name as returned by {@link #id()} (case-insensitive)
     * @return the transport
     * @throws IllegalArgumentException naming the value when it is not a transport
     */
    public static Transport of(String id) {
        for (Transport t : values()) {
            if (t.id.equals(id.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + id + "' (expected in-process, process or wasm)");
    }

    /** @return the constant of a transport id: one of the first three, else {@link #OTHER}. Since 1.3. */
    public static Transport forId(String id) {
        for (Transport t : values()) {
            if (t.id.equals(id)) {
                return t;
            }
        }
        return OTHER;
    }

    @Override
    public String toString() {
        return id;
    }
}
