package io.atrium.transport.script.engine;

import com.google.gson.JsonObject;

/** The server's side of a script's {@code host} object: all a script reaches outside itself. */
public interface ScriptHost {
    /** {@code host.log(level, message)}: a line in the server's log under the plugin's name. */
    void log(String level, String message);

    /** @return {@code host.config}: the plugin's configuration now, an object (empty when it has none) */
    JsonObject config();
}
