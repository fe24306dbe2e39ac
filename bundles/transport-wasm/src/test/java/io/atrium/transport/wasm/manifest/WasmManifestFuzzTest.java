package io.atrium.transport.wasm.manifest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;

/**
 * Whatever a NAME.wasm.json holds, parsing gives a manifest or an IllegalArgumentException whose one line
 * the deployer shows: a bad file is reported, never a crash of the deployer.
 */
class WasmManifestFuzzTest {
    static final Path FILE = Path.of("/plugins/fuzz.wasm.json");

    @DictionaryEntries({"\"name\"", "\"version\"", "\"contract\"", "\"contractVersion\"", "\"wasm\"", "\"sha256\"",
            "\"capabilities\"", "\"exports\"", "\"encoding\"", "\"raw\"", "\"json\"", "\"engine\"", "\"interpreted\"", "\"compiled\"",
            "\"config\"", "\"limits\"", "\"callTimeoutMs\"", "\"memoryMb\"", "\"maxOutputBytes\"", "\"maxVarBytes\"", "\"stackKb\"",
            "\"maxHttpResponseBytes\"", "\"instances\"", "\"wasi\"", "\"allowedPaths\"", "\"ro:\"", "\"allowedHosts\"",
            "\"description\"", ";version=", "\"a.b.C\""})
    @FuzzTest
    void anyFileIsAManifestOrOneLineRefusal(byte[] content) {
        try {
            WasmManifest m = WasmManifest.parse(FILE, content);
            assertTrue(m.name().matches("[A-Za-z0-9][A-Za-z0-9._-]*"), m.name());
            assertTrue(m.instances() >= 1 && m.instances() <= 256);
            assertTrue(m.limits().memoryMb() >= 1 && m.limits().memoryMb() <= 4096);
            assertTrue(m.sha256() == null || m.sha256().matches("[0-9a-f]{64}"));
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            assertNotNull(msg, "a reason");
            assertFalse(msg.isBlank() || msg.contains("\n") || msg.contains("\r"), () -> "one line: " + msg);
        }
    }
}
