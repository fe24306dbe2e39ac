package io.atrium.transport.process.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.atrium.transport.process.manifest.PluginManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
    @TempDir
    Path dir;

    @Test
    void aNameIsLookedUpOnlyInTheAbsoluteEntriesOfThePath() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path tool = Files.writeString(bin.resolve("atrium-test-tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwx------"));
        PluginManifest m = PluginManifest.parse(dir.resolve("plugins/demo.plugin.json"),
                "{\"version\":\"1\",\"contract\":\"a.b.C\",\"command\":[\"atrium-test-tool\"]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(tool, Launcher.executable(m, "/nonexistent:" + bin));
        // the same folder named relative to this JVM's working directory: the plugin's working directory would resolve it elsewhere
        String relative = Path.of("").toAbsolutePath().relativize(bin).toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Launcher.executable(m, relative + "::."));
        assertEquals("command 'atrium-test-tool' is not on the PATH (" + relative + "::.)", e.getMessage());
    }
}
