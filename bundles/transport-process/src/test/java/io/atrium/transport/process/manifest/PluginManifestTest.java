package io.atrium.transport.process.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PluginManifestTest {
    static PluginManifest parse(String json) {
        return PluginManifest.parse(Path.of("/plugins/demo.plugin.json"), json.getBytes(StandardCharsets.UTF_8));
    }

    static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json)).getMessage();
    }

    static final String BASE = "\"version\":\"1.0.0\",\"contract\":\"a.b.Greeter\",\"command\":[\"python3\",\"x.py\"]";

    @Test
    void defaultsFillWhatIsNotSaid() {
        PluginManifest m = parse("{" + BASE + "}");
        assertEquals("demo", m.name(), "the name comes from the file");
        assertEquals(PluginManifest.Mode.SERVICE, m.mode());
        assertEquals(PluginManifest.Limits.DEFAULTS, m.limits());
        assertEquals(io.atrium.transport.support.kit.Restart.DEFAULTS, m.restart());
        assertEquals(Path.of("/plugins"), m.folder());
    }

    @Test
    void everyFieldIsRead() {
        PluginManifest m = parse("{" + BASE + ",\"name\":\"x\",\"mode\":\"exec\",\"capabilities\":[\"a\",\"b;version=3\"],"
                + "\"limits\":{\"callTimeoutMs\":10,\"memoryMb\":5,\"cpuSeconds\":2,\"maxFrameBytes\":100,\"healthIntervalMs\":0,\"warmProcesses\":0},"
                + "\"restart\":{\"maxRestarts\":0},\"env\":{\"K\":\"V\"},\"inheritEnv\":[\"JAVA_HOME\"],\"config\":{\"deep\":[1]}}");
        assertEquals("x", m.name());
        assertEquals(PluginManifest.Mode.EXEC, m.mode());
        assertEquals("[a, b;version=3]", m.capabilities().toString());
        assertEquals(new PluginManifest.Limits(10, 10_000, 5, 2, 100, 0, 256, 0), m.limits());
        assertEquals(0, m.restart().maxRestarts());
        assertEquals("V", m.env().get("K"));
        assertEquals("{\"deep\":[1]}", m.config().toString());
    }

    @Test
    void badManifestsNameTheFieldAtFault() {
        assertEquals("field 'limits.warmProcesses': 9 is over the most, 8 (each is a process waiting for a call)",
                refusal("{" + BASE + ",\"limits\":{\"warmProcesses\":9}}"));
        assertEquals("field 'limits.warmProcesses': expected a whole number ≥ 0, found -1", refusal("{" + BASE + ",\"limits\":{\"warmProcesses\":-1}}"));
        assertEquals("not a JSON object (a manifest is { \"version\": …, \"contract\": …, \"command\": [ … ] })", refusal("[]"));
        assertEquals("field 'version': missing", refusal("{\"contract\":\"a.B\",\"command\":[\"x\"]}"));
        assertEquals("field 'version': expected a string, found 1", refusal("{\"version\":1,\"contract\":\"a.B\",\"command\":[\"x\"]}"));
        assertEquals("field 'contract': 'Greeter' is not a fully qualified interface name",
                refusal("{\"version\":\"1\",\"contract\":\"Greeter\",\"command\":[\"x\"]}"));
        assertEquals("field 'command': expected an array of strings, found \"python3 x.py\"",
                refusal("{\"version\":\"1\",\"contract\":\"a.B\",\"command\":\"python3 x.py\"}"));
        assertEquals("field 'command': missing; expected the command line as an array, e.g. [\"python3\", \"greeter.py\"]",
                refusal("{\"version\":\"1\",\"contract\":\"a.B\",\"command\":[]}"));
        assertEquals("field 'mode': 'daemon' (expected service or exec)", refusal("{" + BASE + ",\"mode\":\"daemon\"}"));
        assertEquals("field 'limits.memoryMb': expected a whole number ≥ 0, found 1.5", refusal("{" + BASE + ",\"limits\":{\"memoryMb\":1.5}}"));
        assertEquals("unknown field 'limits.timeout' (known: callTimeoutMs, handshakeTimeoutMs, memoryMb, cpuSeconds, maxFrameBytes, healthIntervalMs, maxInFlight, warmProcesses)",
                refusal("{" + BASE + ",\"limits\":{\"timeout\":1}}"));
        assertEquals("field 'capabilities': capability 'x;v=1': expected 'name' or 'name;version=N'",
                refusal("{" + BASE + ",\"capabilities\":[\"x;v=1\"]}"));
        assertEquals("field 'name': 'a b' is not a plugin name (letters, digits, '.', '_', '-')", refusal("{" + BASE + ",\"name\":\"a b\"}"));
        assertEquals("not valid JSON: malformed JSON at line 1 column 76", refusal("{" + BASE + "} {}"));
        assertEquals("not valid JSON: End of input at line 1 column 15", refusal("{\"version\": 1,"));
    }
}
