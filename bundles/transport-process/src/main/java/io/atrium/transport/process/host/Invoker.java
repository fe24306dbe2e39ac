package io.atrium.transport.process.host;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.api.PluginException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.transport.process.protocol.Messages;
import io.atrium.transport.process.protocol.Protocol;
import io.atrium.transport.support.kit.KitInstance;

/** Something that answers a plugin's calls: a running process, or one process per call; the kit's instance of a process plugin. */
interface Invoker extends KitInstance {

    /**
     * @param params the arguments as a JSON array
     * @return the call's result
     * @throws PluginException (timed out, crashed, rejected, or the plugin's own error) naming the plugin
     */
    JsonElement call(String method, String params, long timeoutMs);

    /** Stops the instance: a process is asked to exit, then terminated. */
    void shutdown();

    @Override
    default void close() {
        shutdown();
    }

    /** Reads a response: its result, or its error as the matching exception. */
    static JsonElement resultOf(String plugin, String method, JsonObject response) {
        JsonElement error = response.get("error");
        if (error == null || error.isJsonNull()) {
            JsonElement r = response.get("result");
            return r == null ? com.google.gson.JsonNull.INSTANCE : r;
        }
        int code = 0;
        String message = error.toString();
        if (error.isJsonObject()) {
            JsonObject e = error.getAsJsonObject();
            try {
                code = e.get("code").getAsInt();
            } catch (RuntimeException ignored) {
                // no code: 0
            }
            String m = Messages.string(e, "message");
            message = m != null ? m : message;
        }
        throw switch (code) {
            case Protocol.DEADLINE_EXCEEDED -> new PluginTimeoutException(plugin, method + " passed its deadline: " + message);
            case Protocol.UNAVAILABLE -> new PluginUnavailableException(plugin, method + " refused: " + message);
            default -> new PluginException(plugin, method + " failed: " + message + " (code " + code + ")", null);
        };
    }
}
