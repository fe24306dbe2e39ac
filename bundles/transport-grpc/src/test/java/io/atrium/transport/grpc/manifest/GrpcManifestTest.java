package io.atrium.transport.grpc.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpcManifestTest {
    @TempDir
    Path dir;

    private GrpcManifest parse(String json) {
        return GrpcManifest.parse(dir.resolve("kv.grpc.json"), json.getBytes(StandardCharsets.UTF_8));
    }

    private String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json)).getMessage();
    }

    private static final String HANDSHAKE = "\"handshake\": {\"magicCookieKey\": \"BASIC_PLUGIN\", \"magicCookieValue\": \"hello\"}";

    @Test
    void aManifestNamesTheBinaryTheHandshakeAndTheService() {
        GrpcManifest m = parse("""
                {"version": "1.0.0", "contract": "io.atrium.api.kv.KV", "command": ["./kv"],
                 "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello", "protocolVersions": [1, 2]},
                 "descriptorSet": "kv.protoset", "service": "proto.KV", "limits": {"memoryMb": 64}}""");
        assertEquals("kv", m.name());
        assertEquals(new GrpcManifest.GoHandshake("BASIC_PLUGIN", "hello", List.of(1, 2), false), m.handshake());
        assertEquals(dir.resolve("kv.protoset").toAbsolutePath(), m.descriptorSet());
        assertEquals(64, m.memoryMb());
        assertEquals(List.of(dir.resolve("kv").toAbsolutePath(), dir.resolve("kv.protoset").toAbsolutePath()), m.ownFiles());
        assertEquals(List.of(1), parse("""
                {"version": "1.0.0", "command": ["./kv"], %s, "descriptorSet": "kv.protoset", "service": "proto.KV"}""".formatted(HANDSHAKE))
                .handshake().protocolVersions(), "version 1 unless told");
    }

    @Test
    void everyFieldIsCheckedInOneLine() {
        assertEquals("field 'handshake': missing; expected go-plugin's HandshakeConfig, e.g. {\"magicCookieKey\": \"BASIC_PLUGIN\", "
                + "\"magicCookieValue\": \"hello\", \"protocolVersions\": [1]}", refusal("""
                {"version": "1.0.0", "command": ["./kv"], "descriptorSet": "kv.protoset", "service": "proto.KV"}"""));
        assertEquals("field 'handshake.magicCookieKey': 'A B' is not an environment variable's name", refusal("""
                {"version": "1.0.0", "command": ["./kv"], "handshake": {"magicCookieKey": "A B", "magicCookieValue": "x"},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}"""));
        assertEquals("field 'handshake.protocolVersions': expected an array of whole numbers > 0, found [0]", refusal("""
                {"version": "1.0.0", "command": ["./kv"], "handshake": {"magicCookieKey": "A", "magicCookieValue": "x", "protocolVersions": [0]},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}"""));
        assertEquals("field 'descriptorSet': '../kv.protoset' is outside the plugin's folder", refusal("""
                {"version": "1.0.0", "command": ["./kv"], %s, "descriptorSet": "../kv.protoset", "service": "proto.KV"}""".formatted(HANDSHAKE)));
        assertEquals("field 'service': 'KV service' is not a protobuf service's full name (e.g. proto.KV)", refusal("""
                {"version": "1.0.0", "command": ["./kv"], %s, "descriptorSet": "kv.protoset", "service": "KV service"}""".formatted(HANDSHAKE)));
        assertEquals("field 'command': missing; expected the command line as an array, e.g. [\"./kv-plugin\"]", refusal("""
                {"version": "1.0.0", %s, "descriptorSet": "kv.protoset", "service": "proto.KV"}""".formatted(HANDSHAKE)));
        String typo = refusal("""
                {"version": "1.0.0", "command": ["./kv"], %s, "descriptorSet": "kv.protoset", "service": "proto.KV", "servce": 1}""".formatted(HANDSHAKE));
        assertEquals("unknown field 'servce' (known: ", typo.substring(0, typo.indexOf("(known: ") + 8));
        assertEquals("unknown field 'limits.maxFrameBytes' (known: callTimeoutMs, handshakeTimeoutMs, memoryMb, cpuSeconds, maxMessageBytes, "
                + "healthIntervalMs)", refusal("""
                {"version": "1.0.0", "command": ["./kv"], %s, "descriptorSet": "kv.protoset", "service": "proto.KV",
                 "limits": {"maxFrameBytes": 1}}""".formatted(HANDSHAKE)));
        assertEquals("field 'handshake.autoMTLS': expected true or false, found \"yes\"", refusal("""
                {"version": "1.0.0", "command": ["./kv"], "handshake": {"magicCookieKey": "A", "magicCookieValue": "x", "autoMTLS": "yes"},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}"""));
        assertTrue(parse("""
                {"version": "1.0.0", "command": ["./kv"], "handshake": {"magicCookieKey": "A", "magicCookieValue": "x", "autoMTLS": true},
                 "descriptorSet": "kv.protoset", "service": "proto.KV"}""").handshake().autoMtls());
    }
}
