package io.atrium.transport.script.js;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Conversion;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.support.JsonCodec;
import java.util.Map;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.NativeArray;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.ScriptableObject;
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
     * @return the value as JSON, as {@code JSON.stringify} would write it (its {@code toJSON} asked, functions,
     *         symbols and undefined left out of objects and null in arrays), its values counted (at most
     *         {@value Conversion#MAX_VALUES}) and its characters (at most {@code maxStringLength} in all), the budget
     *         ticked as it goes: getters and {@code toJSON} are the script's code, and a shared subtree counts each time
     * @throws ScriptError a value JSON has no form for (a BigInt), nested too deep (a cycle), or too much of it
     */
    static JsonElement toJson(Context cx, Scriptable scope, Object v, String file, String from, int maxStringLength, Budget budget) {
        if (v instanceof CharSequence s && s.length() <= maxStringLength) {
            return new JsonPrimitive(s.toString()); // what most calls return: no count to keep
        }
        return convert(cx, scope, v, file, from, new Conversion(budget, maxStringLength, file, from), 0);
    }

    private static JsonElement convert(Context cx, Scriptable scope, Object v, String file, String from, Conversion spent, int depth) {
        if (depth > JsonCodec.MAX_DEPTH) {
            throw new ScriptError(file + ": " + from + " returned values nested deeper than " + JsonCodec.MAX_DEPTH + " (or one that holds itself)");
        }
        spent.value();
        if (v instanceof Scriptable s && !(v instanceof org.mozilla.javascript.Function)) {
            Object toJson = ScriptableObject.getProperty(s, "toJSON");
            if (toJson instanceof org.mozilla.javascript.Function f) {
                v = f.call(cx, scope, s, new Object[] {""});
            }
        }
        if (v == null || v instanceof Undefined || v instanceof org.mozilla.javascript.Function || v instanceof org.mozilla.javascript.Symbol
                || v == Scriptable.NOT_FOUND) {
            return JsonNull.INSTANCE;
        }
        if (v instanceof CharSequence s) {
            spent.characters(s.length());
            return new JsonPrimitive(s.toString());
        }
        if (v instanceof Boolean b) {
            return new JsonPrimitive(b);
        }
        if (v instanceof java.math.BigInteger) {
            throw new ScriptError(file + ": " + from + " returned a BigInt, which JSON cannot hold");
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return JsonNull.INSTANCE; // as JSON.stringify writes them
            }
            return d == Math.rint(d) && Math.abs(d) < 0x1p53 ? new JsonPrimitive((long) d) : new JsonPrimitive(d);
        }
        if (!(v instanceof Scriptable o)) {
            throw new ScriptError(file + ": " + from + " returned a value JSON cannot hold");
        }
        String cls = o.getClassName();
        if (cls.equals("String") || cls.equals("Number") || cls.equals("Boolean")) { // new String("x") and its kin: their value
            return convert(cx, scope, ScriptRuntime.toPrimitive(o, null), file, from, spent, depth + 1);
        }
        if (o instanceof NativeArray || cls.equals("Array")) {
            long n = ScriptRuntime.toUint32(ScriptableObject.getProperty(o, "length"));
            spent.entries(n);
            JsonArray a = new JsonArray((int) n);
            for (int i = 0; i < n; i++) {
                a.add(convert(cx, scope, ScriptableObject.getProperty(o, i), file, from, spent, depth + 1));
            }
            return a;
        }
        JsonObject out = new JsonObject();
        for (Object id : o.getIds()) {
            Object value = id instanceof Integer i ? ScriptableObject.getProperty(o, i) : ScriptableObject.getProperty(o, id.toString());
            if (value instanceof Undefined || value instanceof org.mozilla.javascript.Function || value instanceof org.mozilla.javascript.Symbol
                    || value == Scriptable.NOT_FOUND) {
                continue; // as JSON.stringify leaves them out of an object
            }
            String key = id.toString();
            spent.characters(key.length());
            out.add(key, convert(cx, scope, value, file, from, spent, depth + 1));
        }
        return out;
    }
}
