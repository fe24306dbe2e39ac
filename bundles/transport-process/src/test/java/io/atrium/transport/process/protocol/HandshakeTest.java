package io.atrium.transport.process.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HandshakeTest {
    static String line(String params) {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"atrium.handshake\",\"params\":{" + params + "}}";
    }

    static String refusal(String line) {
        return assertThrows(IllegalArgumentException.class, () -> Handshake.parse(line)).getMessage();
    }

    @Test
    void aGoodHandshake() {
        Handshake h = Handshake.parse(line("\"cookie\":\"" + Protocol.COOKIE + "\",\"protocol\":1,\"name\":\"n\",\"version\":\"2.0\","
                + "\"contract\":\"a.B\",\"capabilities\":[\"greet\",\"style;version=2\"]"));
        assertEquals(1, h.protocol());
        assertEquals("n", h.name());
        assertEquals("[greet, style;version=2]", h.capabilities().toString());
    }

    @Test
    void refusalsSayWhatWasWrong() {
        String c = "\"cookie\":\"" + Protocol.COOKIE + "\",";
        assertEquals("closed its stdout without a handshake", refusal(null));
        assertEquals("sent 'hello' instead of the handshake", refusal("hello"));
        assertEquals("sent '[1,2]' instead of the handshake", refusal("[1,2]"));
        assertEquals("sent '{\"method\":\"greet\"}' instead of the handshake (method atrium.handshake with an object of params)",
                refusal("{\"method\":\"greet\"}"));
        assertEquals("sent a handshake with the wrong cookie 'x'", refusal(line("\"cookie\":\"x\",\"protocol\":1,\"contract\":\"a.B\"")));
        assertEquals("sent a handshake without a protocol version", refusal(line(c + "\"contract\":\"a.B\"")));
        assertEquals("speaks protocol version 2; this host speaks [1]", refusal(line(c + "\"protocol\":2,\"contract\":\"a.B\"")));
        assertEquals("sent capabilities that are not an array of strings: \"greet\"",
                refusal(line(c + "\"protocol\":1,\"contract\":\"a.B\",\"capabilities\":\"greet\"")));
        assertEquals("declared a bad capability \"s;v=2\": capability 's;v=2': expected 'name' or 'name;version=N'",
                refusal(line(c + "\"protocol\":1,\"contract\":\"a.B\",\"capabilities\":[\"s;v=2\"]")));
    }
}
