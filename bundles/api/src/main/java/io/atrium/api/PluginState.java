package io.atrium.api;

import java.util.Locale;

/** Where a plugin is in its life. */
public enum PluginState {
    /** Registered and callable. */
    ACTIVE,
    /** Being launched or handshaking (out-of-process and WASM plugins). */
    STARTING,
    /** Stopped by an operator; not callable. */
    STOPPED,
    /** Crashed or refused too often; see {@link PluginRegistry#problems()} for the reason. */
    FAILED;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
