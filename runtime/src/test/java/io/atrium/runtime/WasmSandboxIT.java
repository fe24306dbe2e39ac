package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.greeting.Greeter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What a WASM module cannot do to the server, with real modules on a real server. */
class WasmSandboxIT extends WasmPluginFolder {
    static final Path STUCK = EXAMPLES.resolve("misbehaving/stuck.wasm");

    @Test
    void aModuleWhoseStartNeverReturnsFailsItsDeploymentAndNothingElse() throws Exception {
        deploy("stuck", STUCK, "\"limits\": {\"callTimeoutMs\": 300}");
        deploy("after", GREETER, "");
        assertEquals("Hello, x!", greeter("after").greet("x"), "a manifest dropped after the stuck one deploys");
        String reason = "was not deployed: stuck.wasm an instance could not be made: its start function ran past its deadline of 300 ms "
                + "(limits.callTimeoutMs) and was stopped";
        awaitRefused("stuck.wasm.json", reason);
        assertTrue(atrium.execute("plugin:deploys").output().lines()
                .anyMatch(l -> l.startsWith("stuck.wasm.json") && l.contains("refused") && l.contains(reason)), atrium.execute("plugin:deploys").output());
        assertTrue(atrium.execute("plugin:problems").output().contains(reason), atrium.execute("plugin:problems").output());
        assertEquals("reloaded after: active\n", atrium.execute("plugin:reload after").output());

        // a running plugin whose module is replaced by one that never starts keeps its old module
        deploy("live", GREETER, "\"limits\": {\"callTimeoutMs\": 300}");
        Greeter live = greeter("live");
        assertEquals("Hello, x!", live.greet("x"));
        place(STUCK, "live.wasm");
        awaitRefused("live.wasm.json", "was not deployed: live.wasm an instance could not be made: its start function ran past its deadline");
        assertEquals("Hello, y!", live.greet("y"));
        String reload = atrium.execute("plugin:reload live").output();
        assertTrue(reload.contains("reload failed: live.wasm an instance could not be made: its start function ran past its deadline of 300 ms"), reload);
        assertEquals("Hello, z!", live.greet("z"));
        assertEquals("Hello, x!", greeter("after").greet("x"));
    }

    /** WASI's random_get: no fixed seed, so no two plugins, nor two instances of one plugin, read the same bytes. */
    @Test
    void randomnessDiffersBetweenPluginsAndInstances() throws Exception {
        deploy("dice", C_FILES, "\"exports\": {\"greet\": \"random\"}, \"encoding\": \"raw\", \"wasi\": true");
        deploy("coin", C_FILES, "\"exports\": {\"greet\": \"random\"}, \"encoding\": \"raw\", \"wasi\": true");
        String dice = greeter("dice").greet("");
        String coin = greeter("coin").greet("");
        assertTrue(dice.matches("[0-9a-f]{32}"), dice);
        assertNotEquals(dice, coin, "two plugins read different bytes");
        assertEquals("reloaded dice: active\n", atrium.execute("plugin:reload dice").output()); // a new instance
        await("the reloaded plugin is registered", () -> atrium.service(Greeter.class, "dice").isPresent());
        String again = greeter("dice").greet("");
        assertNotEquals(dice, again, "a new instance of the same plugin reads different bytes");
        assertNotEquals(coin, again);
    }
}
