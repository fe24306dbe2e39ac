package io.atrium.core.deploy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.atrium.transport.support.ManifestFields;
import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A configuration file of the plugin folder: {@code PID.cfg} (properties) or {@code PID.json} (a JSON
 * object), and {@code FACTORY~NAME.cfg|json} for a factory configuration (the OSGi R7 naming).
 *
 * @param pid        the PID, or the factory PID for a factory configuration
 * @param name       the factory configuration's name, or null for a singleton
 * @param properties the parsed properties, with {@link #FILE_PROPERTY} naming the file
 */
record ConfigFile(String pid, String name, Hashtable<String, Object> properties) {
    /** Property set on every configuration that comes from a file, so the file can be found again. */
    static final String FILE_PROPERTY = "atrium.config.file";

    /** The endings of configuration files; a transport's manifest ending in {@code .json} is claimed by its longer ending. */
    static final List<String> SUFFIXES = List.of(".cfg", ".json");

    /**
     * @throws IllegalArgumentException with a one-line reason naming the key or position at fault
     */
    static ConfigFile parse(String fileName, byte[] bytes) {
        return ManifestFields.inOneLine(() -> read(fileName, bytes));
    }

    private static ConfigFile read(String fileName, byte[] bytes) {
        String base = fileName.substring(0, fileName.lastIndexOf('.'));
        int tilde = base.indexOf('~');
        String pid = tilde < 0 ? base : base.substring(0, tilde);
        String name = tilde < 0 ? null : base.substring(tilde + 1);
        if (pid.isEmpty() || (name != null && name.isEmpty())) {
            throw new IllegalArgumentException("is misnamed: a configuration file is PID.cfg or FACTORYPID~NAME.cfg");
        }
        String text = text(bytes);
        Hashtable<String, Object> props = fileName.endsWith(".cfg") ? properties(text) : json(text);
        props.put(FILE_PROPERTY, fileName);
        return new ConfigFile(pid, name, props);
    }

    /**
     * @return the file's text: UTF-8 holding no control character but tab, line breaks and form feed
     * @throws IllegalArgumentException for anything else (random bytes would otherwise make a configuration of garbage keys)
     */
    static String text(byte[] bytes) {
        java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        String text;
        try {
            text = utf8.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("is not a text file: it is not valid UTF-8");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f) {
                throw new IllegalArgumentException(String.format("is not a text file: it holds the control character 0x%02x", (int) c));
            }
        }
        return text;
    }

    private static Hashtable<String, Object> properties(String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a valid properties file: " + e.getMessage());
        }
        Hashtable<String, Object> props = new Hashtable<>();
        p.forEach((k, v) -> props.put(k.toString(), v.toString().trim()));
        return props;
    }

    private static Hashtable<String, Object> json(String text) {
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!root.isJsonObject()) {
            throw new IllegalArgumentException("is not a JSON object of properties, as a configuration must be");
        }
        Hashtable<String, Object> props = new Hashtable<>();
        for (Map.Entry<String, JsonElement> e : ((JsonObject) root).entrySet()) {
            props.put(e.getKey(), value(e.getKey(), e.getValue()));
        }
        return props;
    }

    private static Object value(String key, JsonElement v) {
        if (v.isJsonPrimitive()) {
            return primitive(key, (JsonPrimitive) v);
        }
        if (v.isJsonArray()) {
            List<Object> items = new ArrayList<>();
            Class<?> type = null;
            for (JsonElement item : (JsonArray) v) {
                if (!item.isJsonPrimitive()) {
                    throw new IllegalArgumentException("has property '" + key + "': arrays may hold only strings, numbers or booleans");
                }
                Object o = primitive(key, (JsonPrimitive) item);
                if (type != null && type != o.getClass()) {
                    throw new IllegalArgumentException("has property '" + key + "': an array must hold values of one type");
                }
                type = o.getClass();
                items.add(o);
            }
            Object array = Array.newInstance(type == null ? String.class : type, items.size());
            for (int i = 0; i < items.size(); i++) {
                Array.set(array, i, items.get(i));
            }
            return array;
        }
        throw new IllegalArgumentException("has property '" + key + "': " + (v.isJsonNull() ? "null" : "a nested object")
                + " is not a configuration value");
    }

    private static Object primitive(String key, JsonPrimitive p) {
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            String n = p.getAsString();
            if (n.contains(".") || n.contains("e") || n.contains("E")) {
                return p.getAsDouble();
            }
            try {
                // not getAsLong: it wraps 12345678901234567890 to a negative number without a word
                return new java.math.BigDecimal(n).longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("has property '" + key + "': " + (n.length() > 40 ? n.substring(0, 40) + "…" : n)
                        + " does not fit a long (write it as a string, or as a decimal)");
            }
        }
        return p.getAsString();
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("").replaceFirst("^com\\.google\\.gson\\.[\\w.]+: ", "");
    }

    /** @return e.g. {@code greeting.english} or {@code greeting~fr} */
    String label() {
        return name == null ? pid : pid + "~" + name;
    }
}
