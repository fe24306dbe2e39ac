package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The web console in a real browser: Debian's chromium driven by playwright-core (both installed by
 * src/test/browser/install.sh). The page lists the sample plugins; a click on Reload reloads one;
 * the screenshot is kept with the test reports (target/failsafe-reports/console.png).
 */
class ConsoleBrowserIT extends ServerWithPluginFolder {
    static final Path BROWSER = Path.of("src", "test", "browser").toAbsolutePath();

    @Test
    void theConsoleListsThePluginsAndItsReloadButtonReloads() throws Exception {
        Process install = new ProcessBuilder("sh", BROWSER.resolve("install.sh").toString()).redirectErrorStream(true).start();
        String installLog = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(install.waitFor(10, TimeUnit.MINUTES), "install.sh did not end");
        Assumptions.assumeTrue(install.exitValue() != 3, "the browser cannot be installed here: " + installLog);
        assertEquals(0, install.exitValue(), "install.sh failed:\n" + installLog);

        TestPlugins.samplePlugins(folder);
        Files.writeString(folder.resolve("broken.jar"), "not a jar at all");
        greeter("english");
        greeter("uzbek");
        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        String token = atrium.execute("web:token").output().strip();
        Path screenshot = Files.createDirectories(Path.of("target", "failsafe-reports")).resolve("console.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);

        Process node = new ProcessBuilder("node", BROWSER.resolve("console-check.mjs").toString(),
                atrium.httpEndpoint().orElseThrow().toString(), token, screenshot.toString())
                .directory(BROWSER.toFile()).redirectErrorStream(true).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(2, TimeUnit.MINUTES), "the browser did not finish");
        assertEquals(0, node.exitValue(), "console-check.mjs failed:\n" + out);

        JsonObject seen = JsonParser.parseString(out.lines().reduce((a, b) -> b).orElse("{}")).getAsJsonObject();
        assertTrue(seen.get("url").getAsString().endsWith("/console/index.html"), out);
        assertEquals(List.of("english", "uzbek"), seen.getAsJsonArray("plugins").asList().stream().map(e -> e.getAsString()).sorted().toList());
        assertEquals(List.of("english", "0.1.0.SNAPSHOT", "Greeter", "in-process", "active"),
                seen.getAsJsonArray("englishRow").asList().stream().map(e -> e.getAsString()).toList());
        assertEquals("reload english: active", seen.get("status").getAsString());
        assertEquals(List.of("broken.jar", "bundle", "refused"), seen.getAsJsonArray("brokenRow").asList().subList(0, 3).stream()
                .map(e -> e.getAsString()).toList(), "the refused file is shown: " + out);
        assertEquals(0, seen.getAsJsonArray("consoleErrors").size(), out);
        assertTrue(logged("reloaded io.atrium.sample.greeter"), "the click reloaded the plugin's bundle: " + log);
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot was taken");
    }

    private boolean logged(String fragment) {
        return log.stream().anyMatch(l -> l.contains(fragment));
    }
}
