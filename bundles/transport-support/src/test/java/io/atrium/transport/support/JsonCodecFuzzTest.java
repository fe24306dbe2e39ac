package io.atrium.transport.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.gson.JsonArray;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * JsonCodec reads what a wasm module returns, so a module controls every byte of it. For any output the
 * codec gives a value or a JsonParseException, and text it writes itself reads back as it was.
 */
class JsonCodecFuzzTest {
    record Greeting(String text, int count, List<String> tags) {
    }

    /** What contracts return: the fast paths' shapes, Gson's containers, and a record. */
    static final List<Type> TYPES = List.of(String.class, int.class, long.class, double.class, boolean.class, Integer.class,
            String[].class, new TypeToken<List<Integer>>() { }.getType(), new TypeToken<Map<String, Object>>() { }.getType(),
            Object.class, Greeting.class);

    @FuzzTest
    void readsAnyOutputOrRefusesIt(byte[] output) {
        String text = JsonCodec.utf8(output);
        if (text == null) {
            // only bytes that are not UTF-8 are refused: decoding them replaces something, so they do not round-trip
            text = new String(output, StandardCharsets.UTF_8);
            assertFalse(Arrays.equals(output, text.getBytes(StandardCharsets.UTF_8)), "refused bytes that are UTF-8");
        } else {
            assertArrayEquals(output, text.getBytes(StandardCharsets.UTF_8), "UTF-8 is decoded as it is");
        }
        for (Type type : TYPES) {
            try {
                JsonCodec.result(text, type);
            } catch (JsonParseException e) {
                assertNotNull(e.getMessage());
            }
        }

        // what the codec writes reads back the same, through the string fast path and through Gson
        String args = JsonCodec.arguments(new Object[] {text, text.length(), text.isEmpty(), null, (long) text.hashCode()});
        JsonArray back = JsonParser.parseString(args).getAsJsonArray();
        assertEquals(text, back.get(0).getAsString());
        assertEquals(text.length(), back.get(1).getAsInt());
        assertEquals(text.isEmpty(), back.get(2).getAsBoolean());
        assertTrue(back.get(3).isJsonNull());
        assertEquals(text.hashCode(), back.get(4).getAsLong());
        String quoted = JsonCodec.arguments(new Object[] {text});
        assertEquals(text, JsonCodec.result(quoted.substring(1, quoted.length() - 1), String.class));
    }
}
