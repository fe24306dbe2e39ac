package io.atrium.api;

import java.util.Locale;

/** How a plugin's implementation runs; the host sees the same service whatever the transport. */
public enum Transport {
    /** A bundle in the server's own JVM: fastest, least isolated. */
    IN_PROCESS("in-process"),
    /** An executable in any language, in its own operating-system process. */
    PROCESS("process"),
    /** A WebAssembly module in a pure-Java sandbox. */
    WASM("wasm");

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

    @Override
    public String toString() {
        return id;
    }
}
