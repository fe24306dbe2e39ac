package io.atrium.transport.script.engine;

import com.google.gson.JsonObject;

/** The server's side of a script's {@code host} object: all a script reaches outside itself. */
public interface ScriptHost {
    /** {@code host.log(level, message)}: a line in the server's log under the plugin's name. */
    void log(String level, String message);

    /** @return {@code host.config}: the plugin's configuration now, an object (empty when it has none) */
    JsonObject config();

    /**
     * {@code host.call(plugin, method, …args)}: another plugin's contract method, if the header grants it.
     *
     * @return its result as JSON
     * @throws IllegalArgumentException one line, which the script gets as an error it may catch
     */
    com.google.gson.JsonElement call(String plugin, String method, java.util.List<com.google.gson.JsonElement> args);
}
