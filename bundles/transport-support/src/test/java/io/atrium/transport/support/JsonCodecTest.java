package io.atrium.transport.support;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JsonCodecTest {
    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    @Test
    void depthIsCountedOutsideStringsOnly() {
        assertFalse(JsonCodec.tooDeep(nested(JsonCodec.MAX_DEPTH)), "at the limit");
        assertTrue(JsonCodec.tooDeep(nested(JsonCodec.MAX_DEPTH + 1)), "one past it");
        assertTrue(JsonCodec.tooDeep("{\"a\":" + nested(JsonCodec.MAX_DEPTH) + "}"), "an object around it");
        assertFalse(JsonCodec.tooDeep("\"" + "[{".repeat(1000) + "\""), "brackets in a string nest nothing");
        assertFalse(JsonCodec.tooDeep("[\"\\\"" + "[".repeat(1000) + "\"]"), "nor after an escaped quote");
        assertFalse(JsonCodec.tooDeep("[" + "{\"k\":[1]},".repeat(2000) + "{}]"), "many values side by side are shallow");
    }
}
