package io.atrium.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import io.atrium.api.greeting.Greeter;
import java.util.List;
import static io.atrium.runtime.DeployIT.await;
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
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30)); // the HTTP server too, which starts just after
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

    /** Copies a file into the plugin folder the documented way: as a dotfile, then renamed into place. */
    void place(Path file, String name) throws java.io.IOException {
        Path part = folder.resolve("." + name);
        Files.copy(file, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A Python plugin in the folder: the script and its manifest. */
    void python(String name, String script, String extraManifest) throws Exception {
        Path file = folder.resolve(name + ".py");
        Files.writeString(file, "import os, sys, json, time, threading\nsys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])\n" + script);
        drop(name + ".plugin.json", """
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "command": ["python3", "%s.py"],
                 "env": {"ATRIUM_SDK_PYTHON": "%s"}%s}
                """.formatted(name, ProcessPluginIT.SDK, extraManifest.isEmpty() ? "" : ", " + extraManifest));
    }

    /** The helper's greeter, with a method body. */
    void helperPlugin(String name, String greetBody, String extraManifest) throws Exception {
        python(name, """
                from atrium_plugin import serve, PluginError
                def greet(who, host=None):
                %s
                serve(name="%s", version="1.0.0", contract="io.atrium.api.greeting.Greeter",
                      capabilities=["greet", "config", "style;version=2"], methods={"greet": greet})
                """.formatted(greetBody.indent(4).stripTrailing(), name), extraManifest);
    }

    Greeter greeter(String name) throws Exception {
        await(() -> name + " is registered: " + atrium.registry().plugins() + " " + atrium.registry().problems(), () -> atrium.service(Greeter.class, name).isPresent());
        return atrium.service(Greeter.class, name).orElseThrow();
    }
}
