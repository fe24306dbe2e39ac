package io.atrium.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A real server per test on a fresh data folder and plugin folder, with what it logs recorded. */
abstract class ServerWithPluginFolder {
    @TempDir
    Path work;
    Path folder;
    Atrium atrium;
    LogCapture logs;
    List<String> log;

    @BeforeEach
    void startServer() throws Exception {
        logs = new LogCapture();
        log = logs.lines;
        folder = Files.createDirectories(work.resolve("plugins"));
        atrium = Atrium.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
    }

    @AfterEach
    void stopServer() {
        if (atrium != null) {
            atrium.stop();
        }
        logs.close();
    }

    /** Writes a file into the plugin folder the documented way: as a dotfile, then renamed into place. */
    void drop(String name, String content) throws Exception {
        Path part = folder.resolve("." + name);
        Files.writeString(part, content);
        Files.move(part, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
