package io.atrium.transport.script.js;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.atrium.transport.script.engine.ScriptError;
import java.util.Map;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.NativeJSON;
import org.mozilla.javascript.RhinoException;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.Undefined;

/** Values across the sandbox's edge: JSON in as JavaScript's own values, JavaScript's out as JSON (what JSON.stringify makes). */
final class JsValues {
    private JsValues() {
    }

    /** @return the JSON value as a JavaScript value of the scope (objects and arrays new, never a Java object) */
    static Object toJs(Context cx, Scriptable scope, JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isBoolean()) {
                return p.getAsBoolean();
            }
            if (p.isNumber()) {
                return p.getAsDouble();
            }
            return p.getAsString();
        }
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            Object[] items = new Object[a.size()];
            for (int i = 0; i < items.length; i++) {
                items[i] = toJs(cx, scope, a.get(i));
            }
            return cx.newArray(scope, items);
        }
        Scriptable o = cx.newObject(scope);
        for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
            o.put(entry.getKey(), o, toJs(cx, scope, entry.getValue()));
        }
        return o;
    }

    /**
     * @param from what returned it, for messages: e.g. {@code greet}
     * @return the value as JSON: strings, booleans and numbers directly, the rest as {@code JSON.stringify}
     *         writes it (its {@code toJSON}, functions and undefined left out, a cycle refused)
     * @throws ScriptError a value JSON has no form for (a cycle, a BigInt)
     */
    static JsonElement toJson(Context cx, Scriptable scope, Object v, String file, String from, int maxStringLength) {
        if (v == null || v instanceof Undefined) {
            return JsonNull.INSTANCE;
        }
        if (v instanceof CharSequence s) {
            if (s.length() > maxStringLength) {
                throw new ScriptError(file + ": " + from + " returned a string of " + s.length() + " characters, over limits.maxStringLength ("
                        + maxStringLength + ")");
            }
            return new JsonPrimitive(s.toString());
        }
        if (v instanceof Boolean b) {
            return new JsonPrimitive(b);
        }
        if (v instanceof Number n && !(v instanceof java.math.BigInteger)) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return JsonNull.INSTANCE; // as JSON.stringify writes them
            }
            return d == Math.rint(d) && Math.abs(d) < 0x1p53 ? new JsonPrimitive((long) d) : new JsonPrimitive(d);
        }
        Object text;
        try {
            text = NativeJSON.stringify(cx, scope, v, null, null);
        } catch (RhinoException e) {
            throw new ScriptError(file + ": " + from + " returned a value JSON cannot hold: " + e.details());
        }
        if (!(text instanceof CharSequence s)) {
            return JsonNull.INSTANCE; // a function, a symbol: JSON.stringify gives undefined
        }
        if (s.length() > maxStringLength) {
            throw new ScriptError(file + ": " + from + " returned a value of " + s.length() + " characters as JSON, over limits.maxStringLength ("
                    + maxStringLength + ")");
        }
        return JsonParser.parseString(s.toString());
    }
}
