package io.atrium.transport.grpc.goplugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    private static String refusal(String line) {
        return assertThrows(IllegalArgumentException.class, () -> Handshake.parse(line, List.of(1, 2))).getMessage();
    }

    @Test
    void goPluginsLineIsReadAsItsHostReadsIt() {
        Handshake h = Handshake.parse("1|2|unix|/tmp/plugin3315254612|grpc|\n", List.of(1, 2));
        assertEquals(new Handshake(2, "unix", "/tmp/plugin3315254612", null), h);
        assertEquals("127.0.0.1:1234", Handshake.parse("1|1|tcp|127.0.0.1:1234|grpc", List.of(1)).address());
        assertNull(Handshake.parse("1|1|unix|/s|grpc|short", List.of(1)).certificate(), "go-plugin ignores a certificate of 50 characters or fewer");
        String cert = "M".repeat(60);
        assertEquals(cert, Handshake.parse("1|1|unix|/s|grpc|" + cert, List.of(1)).certificate());
        assertEquals("/s", Handshake.parse("1|1|unix|/s|grpc||true", List.of(1)).address(), "go-plugin 1.6's seventh field is ignored");
    }

    @Test
    void badLinesAreRefusedInOneLine() {
        assertEquals("sent a malformed handshake line 'hello' (expected CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT, as go-plugin writes it)", refusal("hello"));
        assertEquals("speaks go-plugin core protocol version 2; this host speaks version 1", refusal("2|1|unix|/s|grpc|"));
        assertEquals("chose application protocol version 3, which the manifest does not accept (handshake.protocolVersions: [1, 2])",
                refusal("1|3|unix|/s|grpc|"));
        assertEquals("speaks go-plugin's net/rpc protocol; only gRPC plugins can run here (the plugin's ServeConfig needs GRPCServer: "
                + "plugin.DefaultGRPCServer)", refusal("1|1|unix|/s|netrpc|"));
        assertEquals("speaks go-plugin's net/rpc protocol; only gRPC plugins can run here (the plugin's ServeConfig needs GRPCServer: "
                + "plugin.DefaultGRPCServer)", refusal("1|1|unix|/s"), "no protocol field: net/rpc, as go-plugin assumes");
        assertEquals("listens on network 'udp' (expected unix or tcp)", refusal("1|1|udp|/s|grpc|"));
        assertEquals("sent a handshake whose core protocol version is not a number: 'x|1|unix|/s|grpc|'", refusal("x|1|unix|/s|grpc|"));
        assertEquals("sent a handshake without an address: '1|1|unix||grpc|'", refusal("1|1|unix||grpc|"));
        assertEquals("speaks protocol 'soap' (expected grpc)", refusal("1|1|unix|/s|soap|"));
        assertEquals("sent a malformed handshake line 'a\\x1b[31m' (expected CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT, as go-plugin writes it)",
                refusal("a\u001b[31m"), "control characters are shown, not sent to the terminal");
    }
}
