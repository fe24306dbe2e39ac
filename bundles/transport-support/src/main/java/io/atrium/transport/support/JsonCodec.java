package io.atrium.transport.support;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonSyntaxException;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * JSON for a call's arguments and result, shared by the transports, with hand-written paths for the common shapes (strings,
 * numbers, booleans: what contracts mostly take and return) and Gson for the rest. On a trivial call
 * Gson both ways cost about as much as running the module, hence the fast paths.
 */
public final class JsonCodec {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private JsonCodec() {
    }

    /** @return the arguments as a JSON array */
    public static String arguments(Object[] args) {
        if (args == null || args.length == 0) {
            return "[]";
        }
        StringBuilder sb = new StringBuilder(32).append('[');
        for (int i = 0; i < args.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            Object a = args[i];
            if (a instanceof String s) {
                quote(s, sb);
            } else if (a == null || a instanceof Boolean || a instanceof Integer || a instanceof Long || a instanceof Short
                    || a instanceof Byte) {
                sb.append(a);
            } else {
                sb.append(GSON.toJson(a));
            }
        }
        return sb.append(']').toString();
    }

    /** @return a value (a record, a list, a map, an array) as the JSON tree its argument's text would be */
    public static JsonElement tree(Object value) {
        return GSON.toJsonTree(value);
    }

    private static void quote(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** How deep JSON from a plugin or a manifest may nest: Gson's own limit in later versions. */
    public static final int MAX_DEPTH = 255;

    /**
     * Gson parses any depth, but renders and binds nested values recursively: a few thousand brackets
     * overflow the stack of whoever prints or reads them. Every frame from a plugin passes here, on the
     * call path, so the depth is read off the text in one pass (brackets inside strings skipped), not
     * by walking the parsed tree.
     *
     * @param json text that parsed as JSON
     * @return whether it nests deeper than {@link #MAX_DEPTH}
     */
    public static boolean tooDeep(String json) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0, n = json.length(); i < n; i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '[' || c == '{') {
                if (++depth > MAX_DEPTH) {
                    return true;
                }
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        return false;
    }

    /**
     * @return the bytes as text, or null when they are not UTF-8
     */
    public static String utf8(byte[] bytes) {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.ISO_8859_1); // the same characters, without a decoder
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * @return the JSON text as a value of the type
     * @throws JsonParseException when it is not JSON for that type
     */
    public static Object result(String json, Type type) {
        if (type == String.class && json.length() >= 2 && json.charAt(0) == '"' && json.charAt(json.length() - 1) == '"'
                && json.indexOf('\\') < 0 && json.indexOf('"', 1) == json.length() - 1) {
            return json.substring(1, json.length() - 1);
        }
        try {
            return GSON.fromJson(json, type);
        } catch (JsonParseException e) {
            throw e;
        } catch (RuntimeException e) {
            // Gson lets some malformed input out as other exceptions: NumberFormatException for "x" as a double,
            // NullPointerException for a map given as [[null, 1]]. To the caller they are all output it cannot read.
            throw new JsonSyntaxException("not JSON for " + type.getTypeName() + ": " + e, e);
        }
    }

    /**
     * @return a parsed JSON value (as a frame of the process protocol carries it) as a value of the type
     * @throws JsonParseException when it is not JSON for that type
     */
    public static Object result(com.google.gson.JsonElement json, Type type) {
        try {
            return GSON.fromJson(json, type);
        } catch (JsonParseException e) {
            throw e;
        } catch (RuntimeException e) { // as for text: whatever Gson throws is output the caller cannot read
            throw new JsonSyntaxException("not JSON for " + type.getTypeName() + ": " + e, e);
        }
    }
}
