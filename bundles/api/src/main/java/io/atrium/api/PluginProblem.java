package io.atrium.api;

import java.util.Objects;

/**
 * A plugin that could not be made available, with a one-sentence reason a person can act on.
 *
 * @param plugin the plugin's name, or its bundle symbolic name when it never registered
 * @param source where it comes from: a bundle symbolic name and id, or a file
 * @param reason one sentence, e.g. which API package and version range it needs and what the server provides
 */
public record PluginProblem(String plugin, String source, String reason) {
    public PluginProblem {
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return plugin + ": " + reason;
    }
}
