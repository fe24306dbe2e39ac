package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginProblem;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Atrium's answer to Go's type-identity panic: a plugin built against an incompatible API does not
 * resolve, and the user reads one sentence saying why; one built against the server's API works.
 */
class VersionMismatchIT {
    @TempDir
    Path work;

    @Test
    void pluginBuiltAgainstApi2IsExplainedAndOneBuiltAgainst1Works() throws Exception {
        Path plugins = Files.createDirectories(work.resolve("plugins"));
        Path api2 = TestPlugins.api(work, "2.0.0");
        Path v2 = TestPlugins.greeterPlugin(work, "test.plugin.v2", "future", api2);
        Path v1 = TestPlugins.greeterPlugin(work, "test.plugin.v1", "present", TestPlugins.apiJar());
        assertTrue(TestPlugins.manifestHeader(v2, "Import-Package").contains("io.atrium.api.greeting;version=\"[2.0,3)\""));
        assertTrue(TestPlugins.manifestHeader(v1, "Import-Package").contains("io.atrium.api.greeting;version=\"[1.0,2)\""));
        Files.copy(v2, plugins.resolve("v2.jar"));
        Files.copy(v1, plugins.resolve("v1.jar"));

        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(plugins).start()) {
            Greeter present = atrium.awaitService(Greeter.class, "present", Duration.ofSeconds(10));
            assertEquals("Hi from present, World", present.greet("World"));

            List<PluginProblem> problems = atrium.registry().problems();
            assertEquals(1, problems.size(), problems.toString());
            PluginProblem p = problems.get(0);
            assertEquals(List.of("test.plugin.v2", "version 1.0.0, bundle " + bundleId(atrium, "test.plugin.v2"),
                    "needs package io.atrium.api.greeting [2.0.0,3.0.0) (built against version 2.x) but this server provides "
                    + "io.atrium.api.greeting 1.0.0"), List.of(p.plugin(), p.source(), p.reason()));
            // the shell's hint, under its list
            assertTrue(atrium.execute("plugin:list").output().contains("1 problem(s): see plugin:problems"));
        }
    }

    private static long bundleId(Atrium atrium, String bsn) {
        for (var b : atrium.bundleContext().getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b.getBundleId();
            }
        }
        throw new AssertionError(bsn + " not installed");
    }
}
