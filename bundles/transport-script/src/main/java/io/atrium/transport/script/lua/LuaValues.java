package io.atrium.transport.script.lua;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Conversion;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.manifest.ScriptManifest;
import io.atrium.transport.support.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/** Values across the sandbox's edge: JSON in as Lua tables and values, Lua's out as JSON (a sequence as an array, an empty table too). */
final class LuaValues {
    private LuaValues() {
    }

    /** @return a call's argument: a String, Boolean, Number, null or JSON value as Lua's own */
    static LuaValue argument(Object a) {
        if (a == null) {
            return LuaValue.NIL;
        }
        if (a instanceof String s) {
            return string(s);
        }
        if (a instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        if (a instanceof Integer || a instanceof Short || a instanceof Byte) {
            return LuaValue.valueOf(((Number) a).intValue());
        }
        if (a instanceof Number n) {
            return LuaValue.valueOf(n.doubleValue());
        }
        return toLua((JsonElement) a);
    }

    /** @return the string as Lua's: its UTF-8 bytes, made in one copy when it is ASCII (LuaJ's own way makes a char[] first) */
    static LuaString string(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return LuaString.valueOf(s); // LuaJ's encoding, which its decoding reads back (a surrogate pair included)
            }
        }
        return LuaString.valueUsing(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** @return the Lua string as Java's: in one copy when it is ASCII */
    static String string(LuaString s) {
        byte[] b = s.m_bytes;
        for (int i = s.m_offset, end = s.m_offset + s.m_length; i < end; i++) {
            if (b[i] < 0) {
                return s.tojstring();
            }
        }
        return new String(b, s.m_offset, s.m_length, StandardCharsets.ISO_8859_1);
    }

    static LuaValue toLua(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return LuaValue.NIL;
        }
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            return p.isBoolean() ? LuaValue.valueOf(p.getAsBoolean()) : p.isNumber() ? LuaValue.valueOf(p.getAsDouble()) : LuaValue.valueOf(p.getAsString());
        }
        LuaTable t = new LuaTable();
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                t.set(i + 1, toLua(a.get(i)));
            }
        } else {
            for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
                t.set(entry.getKey(), toLua(entry.getValue()));
            }
        }
        return t;
    }

    /**
     * @return the value as JSON, its values counted (at most {@value Conversion#MAX_VALUES}), its characters too (at
     *         most {@code limits.maxStringLength} in all), its budget ticked as it goes
     * @throws ScriptError a value JSON cannot hold, nested too deep, or too much of it
     */
    static JsonElement toJson(LuaValue v, String file, String from, ScriptManifest.Limits limits, Budget budget) {
        ScriptManifest.Limits l = limits == null ? ScriptManifest.Limits.DEFAULTS : limits;
        if (v instanceof LuaString s && s.m_length <= l.maxStringLength()) {
            return new JsonPrimitive(string(s)); // what most calls return: no count to keep
        }
        return toJson(v, file, from, new Conversion(budget, l.maxStringLength(), file, from), 0);
    }

    private static JsonElement toJson(LuaValue v, String file, String from, Conversion spent, int depth) {
        if (depth > JsonCodec.MAX_DEPTH) {
            throw new ScriptError(file + ": " + from + " returned tables nested deeper than " + JsonCodec.MAX_DEPTH + " (or a table that holds itself)");
        }
        spent.value();
        switch (v.type()) {
            case LuaValue.TNIL:
                return JsonNull.INSTANCE;
            case LuaValue.TBOOLEAN:
                return new JsonPrimitive(v.toboolean());
            case LuaValue.TNUMBER: {
                double d = v.todouble();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    return JsonNull.INSTANCE;
                }
                return d == Math.rint(d) && Math.abs(d) < 0x1p53 ? new JsonPrimitive((long) d) : new JsonPrimitive(d);
            }
            case LuaValue.TSTRING: {
                spent.characters(v.rawlen());
                return new JsonPrimitive(string((LuaString) v));
            }
            case LuaValue.TTABLE: {
                LuaTable t = (LuaTable) v;
                int n = t.rawlen();
                int count = 0;
                LuaValue k = LuaValue.NIL;
                boolean sequence = true;
                while (true) {
                    Varargs next = t.next(k);
                    if ((k = next.arg1()).isnil()) {
                        break;
                    }
                    spent.entries(++count);
                    spent.walked(count);
                    if (!(k.isint() && k.toint() >= 1 && k.toint() <= n)) {
                        sequence = false;
                    }
                }
                if (sequence && count == n) {
                    JsonArray a = new JsonArray(n);
                    for (int i = 1; i <= n; i++) {
                        a.add(toJson(t.get(i), file, from, spent, depth + 1));
                    }
                    return a;
                }
                JsonObject o = new JsonObject();
                k = LuaValue.NIL;
                while (true) {
                    Varargs next = t.next(k);
                    if ((k = next.arg1()).isnil()) {
                        break;
                    }
                    LuaValue value = next.arg(2);
                    if (!value.isfunction()) {
                        spent.characters(k.rawlen());
                        o.add(k.tojstring(), toJson(value, file, from, spent, depth + 1));
                    }
                }
                return o;
            }
            default:
                throw new ScriptError(file + ": " + from + " returned a " + v.typename() + ", which JSON cannot hold");
        }
    }
}
