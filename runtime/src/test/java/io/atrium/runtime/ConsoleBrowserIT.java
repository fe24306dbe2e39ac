package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The web console in a real browser: Debian's chromium driven by playwright-core (both installed by
 * src/test/browser/install.sh, run by src/test/browser/console-check.mjs). The page lists the plugins
 * with a crashed process plugin's crash and restart counts and last error; a failed plugin offers
 * Start, which launches it again; the plugin folder's refused and failed files are shown; refreshes
 * update rows in place (the button under the pointer, the focus and the selection stay), so every
 * click counts; an unreachable server is a banner saying since when, gone once it is back; at 375 px
 * nothing scrolls sideways; a row's transport links to that transport's plugins alone; and nothing is
 * logged as an error. The screenshots are kept with the test
 * reports (target/failsafe-reports/console.png, console-375.png).
 */
class ConsoleBrowserIT extends ServerWithPluginFolder {
    static final Path BROWSER = Path.of("src", "test", "browser").toAbsolutePath();

    @Test
    void theConsoleShowsAndSteersThePluginsAndKeepsUpWithTheServer() throws Exception {
        Process install = new ProcessBuilder("sh", BROWSER.resolve("install.sh").toString()).redirectErrorStream(true).start();
        String installLog = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(install.waitFor(10, TimeUnit.MINUTES), "install.sh did not end");
        Assumptions.assumeTrue(install.exitValue() != 3, "the browser cannot be installed here: " + installLog);
        assertEquals(0, install.exitValue(), "install.sh failed:\n" + installLog);

        TestPlugins.samplePlugins(folder);
        Files.writeString(folder.resolve("broken.jar"), "not a jar at all");
        helperPlugin("crashy", """
                if who == "die":
                    os._exit(3)
                return "alive " + who""", "");
        python("doomed", "sys.exit(7)\n", "\"restart\": {\"maxRestarts\": 0}");
        greeter("english");
        greeter("uzbek");
        assertThrows(PluginCrashedException.class, () -> greeter("crashy").greet("die"));
        await("crashy is restarted", () -> atrium.registry().plugin("crashy").map(p -> p.state() == PluginState.ACTIVE).orElse(false));
        await("doomed failed", () -> atrium.registry().plugin("doomed").map(p -> p.state() == PluginState.FAILED).orElse(false));
        await("the HTTP server listens", () -> atrium.httpEndpoint().isPresent());
        String token = atrium.execute("web:token").output().strip();
        Path reports = Files.createDirectories(Path.of("target", "failsafe-reports"));
        Path screenshot = reports.resolve("console.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);

        Process node = new ProcessBuilder("node", BROWSER.resolve("console-check.mjs").toString(),
                atrium.httpEndpoint().orElseThrow().toString(), token, screenshot.toString())
                .directory(BROWSER.toFile()).redirectErrorStream(true).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(3, TimeUnit.MINUTES), "the browser did not finish");
        assertEquals(0, node.exitValue(), "console-check.mjs failed:\n" + out);

        JsonObject seen = JsonParser.parseString(out.lines().reduce((a, b) -> b).orElse("{}")).getAsJsonObject();
        System.out.println("console-check.mjs took (ms): " + seen.get("millis"));
        assertEquals(List.of(), strings(seen, "failures"), out);
        assertTrue(seen.get("url").getAsString().endsWith("/console/index.html"), out);
        assertEquals(List.of("crashy", "doomed", "english", "uzbek"), strings(seen, "plugins").stream().sorted().toList());
        assertEquals(List.of("english", "0.1.0.SNAPSHOT", "Greeter", "in-process", "active"), strings(seen, "englishRow"));

        // crashes, restarts and the last error, which stays after the restart
        JsonObject crashy = seen.getAsJsonObject("crashy");
        assertEquals("active", crashy.get("state").getAsString(), out);
        assertEquals("1", crashy.get("crashes").getAsString(), out);
        assertEquals("1", crashy.get("restarts").getAsString(), out);
        assertTrue(crashy.get("problem").getAsString().matches("last crash \\d\\d:\\d\\d:\\d\\d: exited with status 3.*"), out);

        // a failed plugin: Start, not Stop; the click launched it again (it crashed again)
        assertEquals(List.of("reload", "start"), strings(seen, "doomedActions"), out);
        assertTrue(seen.get("doomedStartStatus").getAsString().startsWith("start doomed: "), out);
        assertEquals("2", seen.get("doomedCrashesAfterStart").getAsString(), out);
        assertTrue(logged("plugin 'doomed' started by an operator"), String.join("\n", log));

        // the plugin folder's refused and failed files
        assertEquals(List.of("broken.jar", "bundle", "refused"), strings(seen, "brokenRow").subList(0, 3), out);
        assertEquals(List.of("doomed.plugin.json", "process", "failed"), strings(seen, "doomedFileRow").subList(0, 3), out);
        assertTrue(strings(seen, "doomedFileRow").get(3).startsWith("crashed 1 times within 60 s; last: exited with status 7"), out);

        // refreshes update in place, and every click reached the server
        JsonObject inPlace = seen.getAsJsonObject("inPlace");
        assertTrue(inPlace.get("sameButton").getAsBoolean(), "a refresh replaced the button: " + out);
        assertTrue(inPlace.get("focused").getAsBoolean(), "a refresh took the focus: " + out);
        assertEquals("uzbek", inPlace.get("selection").getAsString(), "a refresh dropped the selection: " + out);
        int clicks = seen.get("reloadClicks").getAsInt();
        assertEquals(13, clicks, out);
        assertEquals(clicks, seen.get("reloadPosts").getAsInt(), "every click was sent: " + out);
        assertEquals(clicks, seen.get("reloadAnswers").getAsInt(), out);
        assertEquals("reload english: active", seen.get("status").getAsString());
        assertEquals(clicks, log.stream().filter(l -> l.startsWith("INFO reloaded io.atrium.sample.greeter")).count(),
                "every click reloaded the plugin's bundle: " + String.join("\n", log));

        // the server unreachable, then back
        assertTrue(seen.get("banner").getAsString().matches("Cannot reach the server since \\d\\d:\\d\\d:\\d\\d .*What is shown is from \\d\\d:\\d\\d:\\d\\d\\."), out);
        assertTrue(seen.get("outageStatus").getAsString().startsWith("reload english failed: cannot reach the server"), out);
        assertTrue(seen.get("bannerGone").getAsBoolean(), out);
        assertEquals("", seen.get("statusAfterOutage").getAsString(), "the outage's error line is cleared: " + out);

        // 375 px
        JsonObject narrow = seen.getAsJsonObject("narrow");
        assertTrue(narrow.get("scrollWidth").getAsInt() <= 375, "the page scrolls sideways: " + out);
        assertEquals(8, narrow.get("buttons").getAsInt(), out);
        assertEquals(List.of(), strings(narrow, "unreachable"), out);

        // a transport's plugins alone, by the id in the row's link
        assertEquals(List.of("crashy", "doomed"), strings(seen, "filtered").stream().sorted().toList(), out);
        assertEquals("Plugins of transport process · all plugins", seen.get("filterNote").getAsString(), out);

        // no errors: console, page (unhandled rejections), CSP; while the API was refused only the refused requests
        assertEquals(List.of(), strings(seen, "consoleErrors"), out);
        assertEquals(List.of(), strings(seen, "pageErrors"), out);
        assertEquals(List.of(), strings(seen, "cspViolations"), out);
        assertTrue(strings(seen, "outageConsoleErrors").stream().allMatch(e -> e.contains("net::ERR_CONNECTION_REFUSED")), out);
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot was taken");
        assertTrue(Files.size(reports.resolve("console-375.png")) > 10_000, "a narrow screenshot was taken");
    }

    private static List<String> strings(JsonObject o, String field) {
        return o.has(field) ? o.getAsJsonArray(field).asList().stream().map(e -> e.getAsString()).toList() : List.of("(no " + field + ")");
    }

    private boolean logged(String fragment) {
        return log.stream().anyMatch(l -> l.contains(fragment));
    }
}
