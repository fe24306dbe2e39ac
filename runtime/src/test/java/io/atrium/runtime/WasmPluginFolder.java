package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;

import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A real server with a plugin folder, and the committed example modules of examples/wasm to deploy into it. */
abstract class WasmPluginFolder extends ServerWithPluginFolder {
    static final Path EXAMPLES = Path.of("..", "examples", "wasm").toAbsolutePath().normalize();
    static final Path GREETER = EXAMPLES.resolve("assemblyscript-greeter/greeter.wasm");
    static final Path MISBEHAVE = EXAMPLES.resolve("misbehaving/misbehave.wasm");
    static final Path C_GREETER = EXAMPLES.resolve("c-greeter/greeter.wasm");
    static final Path C_FILES = EXAMPLES.resolve("c-files/files.wasm");
    static final Path C_HTTP = EXAMPLES.resolve("c-http/http.wasm");
    static final Path C_HOST = EXAMPLES.resolve("c-host/host.wasm");

    /** Copies a module in and writes its manifest, each the documented way (a dotfile renamed into place). */
    void deploy(String name, Path module, String manifestFields) throws Exception {
        Path part = folder.resolve("." + name + ".wasm");
        Files.copy(module, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, folder.resolve(name + ".wasm"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        manifest(name, "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"" + name + ".wasm\""
                + (manifestFields.isEmpty() ? "" : ", " + manifestFields) + "}");
    }

    void manifest(String name, String json) throws Exception {
        drop(name + ".wasm.json", json);
    }

    Greeter greeter(String name) throws Exception {
        await(() -> name + " is registered: " + PluginFacts.folder(atrium), () -> atrium.service(Greeter.class, name).isPresent());
        return atrium.service(Greeter.class, name).orElseThrow();
    }

    String info(String name) {
        return atrium.execute("plugin:info " + name).output();
    }

    void awaitRefused(String file, String reason) throws InterruptedException {
        await(() -> file + " is refused with: " + reason + "\n" + PluginFacts.folder(atrium),
                () -> log.stream().anyMatch(l -> l.contains("plugin file " + file + " " + reason)));
    }
}
