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

    /** How deep JSON may nest to be rendered as JSON: as deep as the transports take from a plugin. */
    static final int MAX_DEPTH = 255;

    /**
     * Gson renders a tree recursively: a few thousand brackets overflow the stack. Read off the text in one
     * pass, brackets inside strings skipped (as the transports' JsonCodec.tooDeep, which this bundle does not see).
     *
     * @return whether the text nests deeper than {@link #MAX_DEPTH}
     */
    static boolean tooDeep(String json) {
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
        b.registerTypeAdapter(Character.class, character).registerTypeAdapter(char.class, strict(JsonToken.STRING, "a string of one character",
                in -> character.read(in), false));
        b.registerTypeAdapter(Boolean.class, strict(JsonToken.BOOLEAN, "true or false", JsonReader::nextBoolean, true));
        b.registerTypeAdapter(boolean.class, strict(JsonToken.BOOLEAN, "true or false", JsonReader::nextBoolean, false));
        // Every number is read from its text, exactly: the readers' nextInt/nextLong go through a double
        // (9223372036854775808 became Long.MAX_VALUE) and the tree reader casts (1.5 became 1).
        number(b, int.class, Integer.class, "an integer (int)", in -> exact(in).intValueExact());
        number(b, long.class, Long.class, "an integer (long)", in -> exact(in).longValueExact());
        number(b, short.class, Short.class, "an integer (short)", in -> exact(in).shortValueExact());
        number(b, byte.class, Byte.class, "an integer (byte)", in -> exact(in).byteValueExact());
        number(b, double.class, Double.class, "a number", in -> finite(exact(in).doubleValue()));
        number(b, float.class, Float.class, "a number", in -> (float) finite(exact(in).floatValue()));
        number(b, java.math.BigDecimal.class, java.math.BigDecimal.class, "a number", in -> new java.math.BigDecimal(in.nextString()));
        number(b, java.math.BigInteger.class, java.math.BigInteger.class, "an integer", in -> new java.math.BigInteger(in.nextString()));
        number(b, Number.class, Number.class, "a number", in -> new java.math.BigDecimal(in.nextString()));
        b.registerTypeAdapterFactory(new com.google.gson.TypeAdapterFactory() {
            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            public <T> TypeAdapter<T> create(Gson gson, com.google.gson.reflect.TypeToken<T> type) {
                Class<? super T> raw = type.getRawType();
                if (!raw.isEnum() || raw == Enum.class) {
                    return null;
                }
                Object[] constants = raw.getEnumConstants();
                String names = java.util.Arrays.stream(constants).map(c -> ((Enum<?>) c).name()).collect(java.util.stream.Collectors.joining(", "));
                return (TypeAdapter<T>) strict(JsonToken.STRING, "one of " + names, in -> {
                    String name = in.nextString();
                    for (Object c : constants) {
                        if (((Enum<?>) c).name().equals(name)) {
                            return c;
                        }
                    }
                    throw new JsonParseException("expected one of " + names + ", got \"" + name + "\"");
                });
            }
        });
        return b.create();
    }

    private static java.math.BigDecimal exact(JsonReader in) throws IOException {
        return new java.math.BigDecimal(in.nextString());
    }

    private static double finite(double d) {
        if (Double.isInfinite(d)) {
            throw new NumberFormatException("out of range");
        }
        return d;
    }

    private interface Read<T> {
        T read(JsonReader in) throws IOException;
    }

    private static <T> void number(GsonBuilder b, Class<?> primitive, Class<T> boxed, String expected, Read<T> read) {
        Read<T> checked = in -> {
            try {
                return read.read(in);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new JsonParseException("expected " + expected + ", got a number that is not one");
            }
        };
        b.registerTypeAdapter(boxed, strict(JsonToken.NUMBER, expected, checked, true));
        if (primitive != boxed) {
            b.registerTypeAdapter(primitive, strict(JsonToken.NUMBER, expected, checked, false));
        }
    }

    private static <T> TypeAdapter<T> strict(JsonToken kind, String expected, Read<T> read) {
        return strict(kind, expected, read, true);
    }

    /** @param nullable false for a primitive's adapter: null is no int (in an int[] as elsewhere) */
    private static <T> TypeAdapter<T> strict(JsonToken kind, String expected, Read<T> read, boolean nullable) {
        return new TypeAdapter<T>() {
            @Override
            public void write(JsonWriter out, T value) throws IOException {
                if (value == null) {
                    out.nullValue();
                } else if (value instanceof Number n) {
                    out.value(n);
                } else if (value instanceof Boolean bool) {
                    out.value(bool);
                } else if (value instanceof Enum<?> e) {
                    out.value(e.name());
                } else {
                    out.value(value.toString());
                }
            }

            @Override
            public T read(JsonReader in) throws IOException {
                JsonToken token = in.peek();
                if (token == JsonToken.NULL) {
                    if (!nullable) {
                        throw new JsonParseException("expected " + expected + ", got null");
                    }
                    in.nextNull();
                    return null;
                }
                if (token != kind) {
                    in.skipValue();
                    throw new JsonParseException("expected " + expected + ", got " + name(token));
                }
                return read.read(in);
            }
        };
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

    /** Binds a value read from the request to a parameter, by the adapters above (never Gson's converting ones). */
    static Object bind(Gson gson, JsonElement value, java.lang.reflect.Type type) {
        return gson.fromJson(value, type);
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
