package io.atrium.web.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API's JSON: strict syntax, and arguments bound only to parameters of their own kind. */
class StrictJsonTest {
    private final Gson gson = StrictJson.gson();

    private static String refusal(String body) {
        return assertThrows(ApiError.class, () -> StrictJson.arguments(body), body).getMessage();
    }

    @Test
    void onlyStrictJsonIsRead() {
        assertEquals(List.of("World"), gson.fromJson(StrictJson.arguments("[\"World\"]"), new TypeToken<List<String>>() { }.getType()));
        assertEquals(0, StrictJson.arguments("  ").size());
        assertEquals("malformed JSON at line 1 column 3: not strict JSON (strict JSON: double-quoted strings and names, no comments)",
                refusal("['World']"));
        assertEquals("malformed JSON at line 1 column 3: not strict JSON (strict JSON: double-quoted strings and names, no comments)",
                refusal("[/* hi */ \"World\"]"));
        assertEquals("malformed JSON: more text after the value", refusal("[\"World\"] x"));
        assertEquals("malformed JSON at line 1 column 5: end of input (strict JSON: double-quoted strings and names, no comments)",
                refusal("[\"x\""));
        assertEquals("the body must be a JSON array of the method's arguments, e.g. [\"World\"]", refusal("{\"name\": \"World\"}"));
        for (String body : List.of("['World']", "[\"x\"", "[01]", "[\"a\" \"b\"]", "[NaN]")) {
            String m = refusal(body);
            assertEquals(-1, m.indexOf('\n'), m);
            assertEquals(-1, m.indexOf("setStrictness"), m);
            assertEquals(-1, m.indexOf("http"), m);
        }
    }

    @Test
    void aValueBindsOnlyToAParameterOfItsKind() {
        assertEquals("expected a string, got a number", bindFails("1", String.class));
        assertEquals("expected a string, got a boolean", bindFails("true", String.class));
        assertEquals("expected a string, got an array", bindFails("[\"a\"]", String.class));
        assertEquals("expected an integer (int), got a string", bindFails("\"5\"", int.class));
        assertEquals("expected an integer (int), got a number that is not one", bindFails("1.5", int.class));
        assertEquals("expected an integer (int), got a number that is not one", bindFails("10000000000", Integer.class));
        assertEquals("expected an integer (byte), got a number that is not one", bindFails("300", byte.class));
        assertEquals("expected true or false, got a string", bindFails("\"true\"", boolean.class));
        assertEquals("expected a string of one character, got \"ab\"", bindFails("\"ab\"", char.class));
        assertEquals("expected a string, got a number", assertThrows(JsonParseException.class,
                () -> gson.fromJson("[\"a\", 2]", new TypeToken<List<String>>() { }.getType())).getMessage(), "inside a list too");
        assertEquals("x", gson.fromJson("\"x\"", String.class));
        assertEquals(5, gson.fromJson("5", int.class));
        assertEquals(2.5, gson.fromJson("2.5", double.class));
        assertEquals(true, gson.fromJson("true", Boolean.class));
        assertEquals('c', gson.fromJson("\"c\"", char.class));
        assertEquals(null, gson.fromJson("null", String.class));
        assertEquals("{\"a\":\"x\",\"n\":1,\"b\":true,\"c\":\"q\"}", gson.toJson(new Shape("x", 1, true, 'q')), "results are written as before");
    }

    record Shape(String a, int n, boolean b, char c) {
    }

    /** As the server binds: the request's value parsed to a tree first, then bound to the parameter's type. */
    private String bindFails(String json, java.lang.reflect.Type type) {
        return assertThrows(JsonParseException.class, () -> StrictJson.bind(gson, StrictJson.parse(json), type), json).getMessage();
    }

    enum Day { MONDAY, TUESDAY }

    @Test
    void numbersThatDoNotFitAreRefusedNotConvertedThroughTheTreeToo() {
        assertEquals("expected an integer (int), got a number that is not one", bindFails("1.9", int.class));
        assertEquals("expected an integer (int), got a number that is not one", bindFails("1e30", int.class));
        assertEquals("expected an integer (int), got a number that is not one", bindFails("4294967297", int.class));
        assertEquals("expected an integer (byte), got a number that is not one", bindFails("4294967296", byte.class));
        assertEquals("expected an integer (long), got a number that is not one", bindFails("9223372036854775808", long.class));
        assertEquals("expected an integer (long), got a number that is not one", bindFails("1e19", long.class));
        assertEquals("expected an integer (int), got a number that is not one", bindFails("[1.7, 4294967297]",
                new TypeToken<List<Integer>>() { }.getType()));
        assertEquals("expected an integer (int), got null", bindFails("[1, null]", int[].class));
        assertEquals("expected one of MONDAY, TUESDAY, got \"FUNDAY\"", bindFails("\"FUNDAY\"", Day.class));
        assertEquals("expected one of MONDAY, TUESDAY, got a number", bindFails("1", Day.class));
        assertEquals("expected a number, got a string", bindFails("\"5\"", java.math.BigDecimal.class));
        assertEquals("expected a number, got a string", bindFails("\"5\"", Number.class));
        assertEquals(Day.TUESDAY, StrictJson.bind(gson, StrictJson.parse("\"TUESDAY\""), Day.class));
        assertEquals(7, StrictJson.bind(gson, StrictJson.parse("7"), int.class));
        assertEquals(Long.MAX_VALUE, StrictJson.bind(gson, StrictJson.parse("9223372036854775807"), long.class));
        assertEquals("expected a number, got a number that is not one", bindFails("1e400", double.class));
        assertEquals(List.of(1, 2), StrictJson.bind(gson, StrictJson.parse("[1, 2]"), new TypeToken<List<Integer>>() { }.getType()));
        assertEquals(new java.math.BigDecimal("12345678901234567890.5"), StrictJson.bind(gson, StrictJson.parse("12345678901234567890.5"),
                java.math.BigDecimal.class));
        assertEquals("\"TUESDAY\"", gson.toJson(Day.TUESDAY));
    }
}
