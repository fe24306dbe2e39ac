package io.atrium.transport.process.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The first line a plugin writes, which the host reads before it trusts anything about the plugin. Any
 * line is a handshake or an IllegalArgumentException with the one-line reason the host refuses it with.
 */
class HandshakeFuzzTest {

    @DictionaryEntries({"\"jsonrpc\"", "\"2.0\"", "\"method\"", "\"atrium.handshake\"", "\"params\"", "\"cookie\"",
            "\"atrium-plugin-7f3c9b2e\"", "\"protocol\"", "\"contract\"", "\"capabilities\"", "\"name\"", "\"version\"", ";version="})
    @FuzzTest
    void anyLineIsAHandshakeOrOneLineRefusal(byte[] line) {
        try {
            Handshake h = Handshake.parse(new String(line, StandardCharsets.UTF_8));
            assertTrue(Protocol.VERSIONS.contains(h.protocol()));
            // h.contract() may be null: a plugin with no contract announces none (the host checks its manifest agrees)
            assertNotNull(h.capabilities());
        } catch (IllegalArgumentException e) {
            assertOneLine(e);
        }
    }

    /** The host shows the reason in one line of its log and of plugin:list. */
    static void assertOneLine(Exception e) {
        String m = e.getMessage();
        assertNotNull(m, "a reason");
        assertFalse(m.isBlank(), "a reason");
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "one line: " + m);
    }
}
