package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginState;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** plugin:stop and plugin:start (PluginControl) for each transport: stopped plugins stay listed, start brings them back. */
class PluginControlIT extends ServerWithPluginFolder {

    PluginState state(String name) {
        return atrium.registry().plugin(name).map(p -> p.state()).orElse(null);
    }

    void stopAndStart(String name, String transport) throws Exception {
        String greeting = greeter(name).greet("x");
        assertEquals(PluginState.STOPPED, PluginFacts.stop(atrium, name));
        assertEquals(PluginState.STOPPED, state(name));
        assertTrue(atrium.service(io.atrium.api.greeting.Greeter.class, name).isEmpty(), "a stopped plugin has no service");
        PluginDescriptor listed = atrium.registry().plugins().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(); // stays listed
        assertEquals(List.of("Greeter", transport, PluginState.STOPPED), List.of(listed.contractSimpleName(), listed.transportId(), listed.state()));
        assertTrue(atrium.execute("plugin:call " + name + " greet x").output().startsWith("Error: plugin '" + name + "' is stopped, not callable now"),
                atrium.execute("plugin:call " + name + " greet x").output());
        assertEquals(PluginState.STOPPED, PluginFacts.stop(atrium, name), "stopping twice is harmless");

        PluginFacts.start(atrium, name); // a process plugin may still be starting
        await(name + " is active again", () -> state(name) == PluginState.ACTIVE);
        assertEquals(greeting, greeter(name).greet("x"));
    }

    /** A stopped plugin's manifest is edited: it stays stopped, on every transport, until a reload starts it with the new one. */
    void staysStoppedWhenEdited(String name, String manifest, String edited, String before, String after) throws Exception {
        drop(manifest, before);
        await(name + " answers", () -> atrium.service(io.atrium.api.greeting.Greeter.class, name).isPresent());
        assertEquals(PluginState.STOPPED, PluginFacts.stop(atrium, name));
        drop(manifest, edited);
        await(name + "'s new manifest is in force", () -> PluginFacts.plugin(atrium, name).map(p -> p.version().equals("2.0.0")).orElse(false));
        assertEquals(PluginState.STOPPED, state(name), "an edit starts no plugin an operator stopped");
        assertTrue(atrium.service(io.atrium.api.greeting.Greeter.class, name).isEmpty());
        PluginFacts.reload(atrium, name); // a reload of a stopped plugin starts it, as a stopped bundle's does
        await(name + " is active again", () -> state(name) == PluginState.ACTIVE);
        assertEquals(after, greeter(name).greet("x"));
    }

    @Test
    void aStoppedPluginStaysStoppedWhenItsManifestChangesOnEveryTransport() throws Exception {
        Files.copy(WasmPluginIT.GREETER, folder.resolve("wg.wasm"));
        String wasm = "{\"version\": \"%s\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"wg.wasm\", \"config\": {\"greeting\": \"%s\"}}";
        staysStoppedWhenEdited("wg", "wg.wasm.json", wasm.formatted("2.0.0", "Salom"), wasm.formatted("1.0.0", "Hello"), "Salom, x!");
        helperPlugin("pyg", "return host.config()['greeting'] + ' ' + who", "\"config\": {\"greeting\": \"hello\"}");
        await("pyg answers", () -> atrium.service(io.atrium.api.greeting.Greeter.class, "pyg").isPresent());
        String pyg = java.nio.file.Files.readString(folder.resolve("pyg.plugin.json"));
        assertEquals(PluginState.STOPPED, PluginFacts.stop(atrium, "pyg"));
        long launched = log.stream().filter(l -> l.contains("plugin 'pyg' started (pid")).count();
        // a new version: its script announces it, its manifest says so and configures another greeting
        drop("pyg.py", java.nio.file.Files.readString(folder.resolve("pyg.py")).replace("version=\"1.0.0\"", "version=\"2.0.0\""));
        drop("pyg.plugin.json", pyg.replace("\"1.0.0\"", "\"2.0.0\"").replace("\"hello\"", "\"salom\""));
        await("pyg's new manifest is in force", () -> PluginFacts.plugin(atrium, "pyg").map(p -> p.version().equals("2.0.0")).orElse(false));
        assertEquals(PluginState.STOPPED, state("pyg"), "an edit starts no plugin an operator stopped");
        PluginFacts.reload(atrium, "pyg");
        await("pyg is active again", () -> state("pyg") == PluginState.ACTIVE);
        assertEquals("salom x", greeter("pyg").greet("x"));
        assertEquals(launched + 1, log.stream().filter(l -> l.contains("plugin 'pyg' started (pid")).count(), "one launch: the reload's");
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
        // the shell's own reply: a name that is no plugin is looked for among bundles and files too
        String unknown = "Error: unknown plugin 'nobody' (not a plugin name, bundle symbolic name, bundle id or plugin file)\n";
        assertEquals(unknown, atrium.execute("plugin:stop nobody").output());
        assertEquals(unknown, atrium.execute("plugin:start nobody").output());
        assertEquals("Hello, x!", greeter("english").greet("x"));
    }
}
