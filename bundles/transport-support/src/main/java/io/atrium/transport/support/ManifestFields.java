package io.atrium.transport.support;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, strict access to a JSON manifest's fields, each failure one line naming the field's path
 * ({@code field 'limits.callTimeoutMs': expected a whole number > 0, found -1}). Shared by the
 * transports' manifests; each transport bundle carries its own private copy.
 *
 * @param o      the object
 * @param prefix the object's path, for messages: empty at the top, {@code limits.} below
 */
public record ManifestFields(JsonObject o, String prefix) {

    /**
     * @param text    the file's text
     * @param example what a manifest of this kind looks like, for the message when the text is not an object
     * @return the top-level object's fields
     * @throws IllegalArgumentException "not valid JSON: …" with Gson's line and column, or "not a JSON object"
     */
    public static ManifestFields parse(String text, String example) {
        JsonElement root;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("not valid JSON: more than one value");
            }
        } catch (JsonParseException | java.io.IOException | IllegalStateException e) {
            Throwable cause = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause() : e;
            String msg = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            int see = msg.indexOf("\nSee ");
            String why = (see > 0 ? msg.substring(0, see) : msg).replace('\n', ' ')
                    .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                    .replaceFirst("(?s)( at line \\d+ column \\d+) path .*", "$1"); // the path repeats keys, line breaks and all
            throw new IllegalArgumentException("not valid JSON: " + why);
        }
        if (root == null || !root.isJsonObject()) {
            throw new IllegalArgumentException("not a JSON object (a manifest is " + example + ")");
        }
        if (JsonCodec.tooDeep(text)) {
            throw new IllegalArgumentException("not valid JSON: nested deeper than " + JsonCodec.MAX_DEPTH + " levels");
        }
        return new ManifestFields(root.getAsJsonObject(), "");
    }


    /**
     * Runs a parser whose reasons may quote what it read (a key, a capability), line breaks and all, and
     * gives its refusal in one line, as the deployer and the problem list show reasons.
     *
     * @throws IllegalArgumentException the parser's, its reason passed through {@link Escape#oneLine}
     */
    public static <T> T inOneLine(java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Escape.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    /**
     * @return whether the text is a Java fully qualified name ({@code io.atrium.api.greeting.Greeter}); checked
     *         name by name, where a regular expression repeating a group overflows the stack on a few thousand
     */
    public static boolean isQualifiedName(String text) {
        String[] names = text.split("\\.", -1);
        if (names.length < 2) {
            return false;
        }
        for (String name : names) {
            if (name.isEmpty() || !(Character.isLetter(name.codePointAt(0)) || name.charAt(0) == '_' || name.charAt(0) == '$')
                    || !name.codePoints().allMatch(c -> Character.isLetterOrDigit(c) || c == '_' || c == '$')) {
                return false;
            }
        }
        return true;
    }

    /** @return the field's name as messages give it, e.g. {@code field 'limits.memoryMb'} */
    public String path(String key) {
        return "field '" + prefix + key + "'";
    }

    /** @return a string field that must be there and not blank */
    public String required(String key) {
        String v = string(key, null);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(path(key) + ": missing");
        }
        return v;
    }

    /** @return a string field, or the fallback when it is absent or null */
    public String string(String key, String fallback) {
        JsonElement v = o.get(key);
        if (v == null || v.isJsonNull()) {
            return fallback;
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(path(key) + ": expected a string, found " + v);
        }
        return v.getAsString();
    }

    /** @return a boolean field, or the fallback when it is absent or null */
    public boolean bool(String key, boolean fallback) {
        JsonElement v = o.get(key);
        if (v == null || v.isJsonNull()) {
            return fallback;
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException(path(key) + ": expected true or false, found " + v);
        }
        return v.getAsBoolean();
    }

    /** @return an array of strings, or the fallback when it is absent or null */
    public List<String> strings(String key, List<String> fallback) {
        JsonElement v = o.get(key);
        if (v == null || v.isJsonNull()) {
            return fallback;
        }
        if (!v.isJsonArray()) {
            throw new IllegalArgumentException(path(key) + ": expected an array of strings, found " + v);
        }
        List<String> out = new ArrayList<>();
        for (JsonElement e : v.getAsJsonArray()) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException(path(key) + ": expected an array of strings, found " + e + " in it");
            }
            out.add(e.getAsString());
        }
        return out;
    }

    /** @return an object field (empty when absent), whose messages name it as the prefix */
    public ManifestFields object(String key) {
        JsonElement v = o.get(key);
        if (v == null || v.isJsonNull()) {
            return new ManifestFields(new JsonObject(), prefix + key + ".");
        }
        if (!v.isJsonObject()) {
            throw new IllegalArgumentException(path(key) + ": expected an object, found " + v);
        }
        return new ManifestFields(v.getAsJsonObject(), prefix + key + ".");
    }

    /** @return a whole number ≥ 0, or the fallback when absent */
    public long natural(String key, long fallback) {
        JsonElement v = o.get(key);
        if (v == null || v.isJsonNull()) {
            return fallback;
        }
        try {
            if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                long n = v.getAsBigDecimal().longValueExact();
                if (n >= 0) {
                    return n;
                }
            }
        } catch (ArithmeticException ignored) {
            // a fraction or a huge number: reported below
        }
        throw new IllegalArgumentException(path(key) + ": expected a whole number ≥ 0, found " + v);
    }

    /** @return a whole number > 0, or the fallback when absent */
    public long positive(String key, long fallback) {
        long n;
        try {
            n = natural(key, fallback);
        } catch (IllegalArgumentException e) {
            n = 0;
        }
        if (n == 0) {
            throw new IllegalArgumentException(path(key) + ": expected a whole number > 0, found " + o.get(key));
        }
        return n;
    }

    /** Refuses a field not among {@code keys}: a typo would otherwise be ignored silently. */
    public void onlyKnown(String... keys) {
        for (String k : o.keySet()) {
            if (!List.of(keys).contains(k)) {
                throw new IllegalArgumentException("unknown " + path(k) + " (known: " + String.join(", ", keys) + ")");
            }
        }
    }

    /**
     * @param value a configuration value: a comma-separated string, an array or a collection of strings
     * @return its items, trimmed, empty ones left out
     */
    public static java.util.List<String> values(Object value) {
        Iterable<?> items = value instanceof String s ? java.util.Arrays.asList(s.split(","))
                : value instanceof String[] a ? java.util.Arrays.asList(a)
                : value instanceof java.util.Collection<?> c ? c : java.util.List.of();
        java.util.List<String> out = new java.util.ArrayList<>();
        for (Object o : items) {
            String t = String.valueOf(o).trim();
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * @param value a configuration value, as {@link #values(Object)} reads it
     * @param item  what to look for
     * @return whether {@code item} is one of the listed values
     */
    public static boolean listed(Object value, String item) {
        return values(value).stream().anyMatch(item::equalsIgnoreCase);
    }
}
