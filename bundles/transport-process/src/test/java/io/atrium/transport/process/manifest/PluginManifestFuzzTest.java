package io.atrium.transport.process.manifest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;

/**
 * Whatever a NAME.plugin.json holds, parsing gives a manifest or an IllegalArgumentException whose one line
 * the deployer shows: a bad file is reported, never a crash of the deployer.
 */
class PluginManifestFuzzTest {
    static final Path FILE = Path.of("/plugins/fuzz.plugin.json");

    @DictionaryEntries({"\"name\"", "\"version\"", "\"contract\"", "\"contractVersion\"", "\"command\"", "\"mode\"", "\"exec\"",
            "\"service\"", "\"capabilities\"", "\"limits\"", "\"callTimeoutMs\"", "\"handshakeTimeoutMs\"", "\"memoryMb\"",
            "\"cpuSeconds\"", "\"maxFrameBytes\"", "\"healthIntervalMs\"", "\"restart\"", "\"maxRestarts\"", "\"windowSeconds\"",
            "\"initialBackoffMs\"", "\"maxBackoffMs\"", "\"env\"", "\"inheritEnv\"", "\"config\"", "\"description\"", "\"sha256\"",
            ";version=", "\"a.b.C\"", "\"./run\""})
    @FuzzTest
    void anyFileIsAManifestOrOneLineRefusal(byte[] content) {
        try {
            PluginManifest m = PluginManifest.parse(FILE, content);
            assertTrue(m.name().matches("[A-Za-z0-9][A-Za-z0-9._-]*"), m.name());
            assertFalse(m.command().isEmpty());
            assertTrue(m.limits().maxFrameBytes() > 0 && m.limits().callTimeoutMs() > 0);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            assertNotNull(msg, "a reason");
            assertFalse(msg.isBlank() || msg.contains("\n") || msg.contains("\r"), () -> "one line: " + msg);
        }
    }
}
