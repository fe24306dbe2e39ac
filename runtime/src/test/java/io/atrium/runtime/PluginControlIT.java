package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginState;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** plugin:stop and plugin:start (PluginControl) for each transport: stopped plugins stay listed, start brings them back. */
class PluginControlIT extends ServerWithPluginFolder {

    PluginState state(String name) {
        return atrium.registry().plugin(name).map(p -> p.state()).orElse(null);
    }

    void stopAndStart(String name, String transport) throws Exception {
        String greeting = greeter(name).greet("x");
        assertEquals("stopped " + name + ": stopped\n", atrium.execute("plugin:stop " + name).output());
        assertEquals(PluginState.STOPPED, state(name));
        assertTrue(atrium.service(io.atrium.api.greeting.Greeter.class, name).isEmpty(), "a stopped plugin has no service");
        String list = atrium.execute("plugin:list").output();
        assertTrue(Pattern.compile("(?m)^" + name + "\\s+\\S+\\s+Greeter\\s+" + transport + "\\s+stopped\\s").matcher(list).find(), list);
        assertTrue(atrium.execute("plugin:call " + name + " greet x").output().startsWith("Error: plugin '" + name + "' is stopped, not callable now"),
                atrium.execute("plugin:call " + name + " greet x").output());
        assertEquals("stopped " + name + ": stopped\n", atrium.execute("plugin:stop " + name).output(), "stopping twice is harmless");

        assertTrue(atrium.execute("plugin:start " + name).output().startsWith("started " + name + ": "));
        await(name + " is active again", () -> state(name) == PluginState.ACTIVE);
        assertEquals(greeting, greeter(name).greet("x"));
    }

    @Test
    void everyTransportsPluginsStopAndStartAgain() throws Exception {
        TestPlugins.samplePlugins(folder);
        helperPlugin("pyg", "return 'py ' + who", "");
        java.nio.file.Files.copy(WasmPluginIT.GREETER, folder.resolve(".wg.wasm"));
        java.nio.file.Files.move(folder.resolve(".wg.wasm"), folder.resolve("wg.wasm"));
        drop("wg.wasm.json", "{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"wg.wasm\"}");

        stopAndStart("english", "in-process");
        stopAndStart("pyg", "process");
        stopAndStart("wg", "wasm");
        String unknown = "Error: unknown plugin 'nobody' (not a plugin name, bundle symbolic name, bundle id or plugin file)\n";
        assertEquals(unknown, atrium.execute("plugin:stop nobody").output());
        assertEquals(unknown, atrium.execute("plugin:start nobody").output());
        assertEquals("Hello, x!", greeter("english").greet("x"));
    }
}
