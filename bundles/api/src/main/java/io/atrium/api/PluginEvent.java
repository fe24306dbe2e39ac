package io.atrium.api;

import java.util.Objects;

/**
 * A change in the set of plugins, delivered to {@link PluginListener}s.
 *
 * @param type   what happened
 * @param plugin the plugin as it is after the change (as it was, for {@link Type#UNREGISTERED})
 */
public record PluginEvent(Type type, PluginDescriptor plugin) {

    /** The kinds of change. */
    public enum Type {
        /** A plugin became available. */
        REGISTERED,
        /** A plugin's descriptor changed (state, properties, capabilities). */
        MODIFIED,
        /** A plugin is going away. */
        UNREGISTERED
    }

    public PluginEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(plugin, "plugin");
    }
}
