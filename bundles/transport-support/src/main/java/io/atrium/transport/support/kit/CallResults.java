package io.atrium.transport.support.kit;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import io.atrium.api.PluginException;
import io.atrium.transport.support.Escape;
import io.atrium.transport.support.JsonCodec;
import java.lang.reflect.Method;

/**
 * A call's answer read back as the contract method's return type, the same for every transport: output
 * that is not JSON for the type, or nothing where a primitive is due, fails the call with one line
 * naming the plugin and what answered.
 */
public final class CallResults {
    private CallResults() {
    }

    /**
     * @param plugin the plugin's name
     * @param from   what answered, for messages: the method, or the export that implements it
     * @param method the contract method called
     * @param text   the answer's JSON text
     * @return the value, null for a void method
     * @throws PluginException when the text is not JSON for the return type
     */
    public static Object read(String plugin, String from, Method method, String text) {
        if (method.getReturnType() == void.class) {
            return null;
        }
        Object value;
        try {
            value = JsonCodec.result(text, method.getGenericReturnType());
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            throw notJson(plugin, from, method, text);
        }
        return checked(plugin, from, method, value);
    }

    /** As {@link #read(String, String, Method, String)}, for an answer that arrived parsed. */
    public static Object read(String plugin, String from, Method method, JsonElement json) {
        if (method.getReturnType() == void.class) {
            return null;
        }
        Object value;
        try {
            value = JsonCodec.result(json, method.getGenericReturnType());
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            throw notJson(plugin, from, method, String.valueOf(json));
        }
        return checked(plugin, from, method, value);
    }

    private static PluginException notJson(String plugin, String from, Method method, String text) {
        String shown = text.length() > 60 ? text.substring(0, 60) + "…" : text;
        return new PluginException(plugin, from + " returned '" + Escape.oneLine(shown) + "', which is not JSON for a "
                + method.getGenericReturnType().getTypeName(), null);
    }

    private static Object checked(String plugin, String from, Method method, Object value) {
        if (value == null && method.getReturnType().isPrimitive()) {
            throw new PluginException(plugin, from + " returned null, but " + method.getReturnType() + " was expected", null);
        }
        return value;
    }
}
