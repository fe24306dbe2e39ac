package io.atrium.web.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringReader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON as docs/http.md promises it: RFC 8259 syntax only (Gson's parser accepts single quotes,
 * unquoted names, comments and trailing text by default), and arguments typed as their parameters are,
 * with no conversion: {@code [1]} is no {@code String}, {@code ["1"]} no {@code int}. Errors are one
 * line in Atrium's words, never Gson's advice to relax the parser.
 */
final class StrictJson {
    private static final Pattern LOCATION = Pattern.compile("at line (\\d+) column (\\d+)");
    /** Reads a tree with the reader's own strictness (Gson's parse methods relax it). */
    private static final TypeAdapter<JsonElement> TREE = new Gson().getAdapter(JsonElement.class);

    private StrictJson() {
    }

    /**
     * @param body a request body holding one JSON value
     * @return the value
     * @throws ApiError 400 when the body is not strict JSON
     */
    static JsonElement parse(String body) {
        JsonReader reader = new JsonReader(new StringReader(body));
        reader.setStrictness(Strictness.STRICT);
        JsonElement value;
        try {
            value = TREE.read(reader);
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new ApiError(400, "malformed JSON" + where(String.valueOf(e.getMessage()))
                    + ": " + what(String.valueOf(e.getMessage())) + " (strict JSON: double-quoted strings and names, no comments)");
        }
        try {
            if (reader.peek() == JsonToken.END_DOCUMENT) {
                return value;
            }
        } catch (IOException | IllegalStateException e) {
            // unreadable text after the value: refused below all the same
        }
        throw new ApiError(400, "malformed JSON: more text after the value");
    }

    private static String where(String message) {
        Matcher m = LOCATION.matcher(message);
        return m.find() ? " at line " + m.group(1) + " column " + m.group(2) : "";
    }

    /** Gson's reason, less its location, its path, its advice and its link. */
    private static String what(String message) {
        String first = message.lines().findFirst().orElse("").replaceFirst("^(com\\.google\\.gson\\.stream\\.)?MalformedJsonException: ", "");
        if (first.startsWith("Use JsonReader.setStrictness")) {
            return "not strict JSON";
        }
        int at = first.indexOf(" at line ");
        String reason = at < 0 ? first : first.substring(0, at);
        return reason.isBlank() ? "cannot be read" : Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
    }

    /** A Gson that binds a JSON value only to a parameter of its own kind: strings to text, numbers to numbers, booleans to booleans. */
    static Gson gson() {
        GsonBuilder b = new GsonBuilder().serializeNulls().disableHtmlEscaping().setStrictness(Strictness.STRICT);
        TypeAdapter<String> text = strict(JsonToken.STRING, "a string", JsonReader::nextString);
        b.registerTypeAdapter(String.class, text);
        TypeAdapter<Character> character = strict(JsonToken.STRING, "a string of one character", in -> {
            String s = in.nextString();
            if (s.length() != 1) {
                throw new JsonParseException("expected a string of one character, got \"" + s + "\"");
            }
            return s.charAt(0);
        });
        b.registerTypeAdapter(char.class, character).registerTypeAdapter(Character.class, character);
        TypeAdapter<Boolean> bool = strict(JsonToken.BOOLEAN, "true or false", JsonReader::nextBoolean);
        b.registerTypeAdapter(boolean.class, bool).registerTypeAdapter(Boolean.class, bool);
        number(b, int.class, Integer.class, "an integer (int)", in -> Integer.valueOf(in.nextInt()));
        number(b, long.class, Long.class, "an integer (long)", in -> Long.valueOf(in.nextLong()));
        number(b, short.class, Short.class, "an integer (short)", in -> narrow(in.nextInt(), Short.MIN_VALUE, Short.MAX_VALUE, "short").shortValue());
        number(b, byte.class, Byte.class, "an integer (byte)", in -> narrow(in.nextInt(), Byte.MIN_VALUE, Byte.MAX_VALUE, "byte").byteValue());
        number(b, double.class, Double.class, "a number", in -> Double.valueOf(in.nextDouble()));
        number(b, float.class, Float.class, "a number", in -> Float.valueOf((float) in.nextDouble()));
        return b.create();
    }

    private static Integer narrow(int value, int min, int max, String type) {
        if (value < min || value > max) {
            throw new JsonParseException("expected an integer (" + type + "), got " + value + ", outside " + min + ".." + max);
        }
        return value;
    }

    private interface Read<T> {
        T read(JsonReader in) throws IOException;
    }

    private static <T> void number(GsonBuilder b, Class<?> primitive, Class<T> boxed, String expected, Read<T> read) {
        TypeAdapter<T> adapter = strict(JsonToken.NUMBER, expected, in -> {
            try {
                return read.read(in);
            } catch (NumberFormatException e) {
                throw new JsonParseException("expected " + expected + ", got a number that is not one");
            }
        });
        b.registerTypeAdapter(primitive, adapter).registerTypeAdapter(boxed, adapter);
    }

    private static <T> TypeAdapter<T> strict(JsonToken kind, String expected, Read<T> read) {
        return new TypeAdapter<T>() {
            @Override
            public void write(JsonWriter out, T value) throws IOException {
                if (value == null) {
                    out.nullValue();
                } else if (value instanceof Number n) {
                    out.value(n);
                } else if (value instanceof Boolean bool) {
                    out.value(bool);
                } else {
                    out.value(value.toString());
                }
            }

            @Override
            public T read(JsonReader in) throws IOException {
                JsonToken token = in.peek();
                if (token == JsonToken.NULL) {
                    in.nextNull();
                    return null;
                }
                if (token != kind) {
                    in.skipValue();
                    throw new JsonParseException("expected " + expected + ", got " + name(token));
                }
                return read.read(in);
            }
        }.nullSafe();
    }

    private static String name(JsonToken token) {
        return switch (token) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case BEGIN_ARRAY -> "an array";
            case BEGIN_OBJECT -> "an object";
            default -> token.toString().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** @return the arguments of a call: a JSON array, or none for an empty body */
    static JsonArray arguments(String body) {
        if (body.isBlank()) {
            return new JsonArray();
        }
        JsonElement parsed = parse(body);
        if (!parsed.isJsonArray()) {
            throw new ApiError(400, "the body must be a JSON array of the method's arguments, e.g. [\"World\"]");
        }
        return parsed.getAsJsonArray();
    }
}
