package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginEvent;
import io.atrium.api.PluginProperties;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/** A product embeds Atrium in a few lines, calls a Greeter, and restarts on the same data folder. */
class EmbeddingIT {
    @TempDir
    Path work;

    @Test
    void theDataFolderIsMadeOwnerOnlyWhateverItsModeWas() throws Exception {
        // An embedding product's process may have any umask; the framework and Config Admin write with it.
        // What keeps the secrets under the data folder (tokens, passwords) from other users is the folder.
        Path data = java.nio.file.Files.createDirectories(work.resolve("data"));
        java.nio.file.Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        try (Atrium atrium = TestPlugins.builder().dataDir(data).start()) {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(data)));
        }
        Path fresh = work.resolve("fresh/data");
        try (Atrium atrium = TestPlugins.builder().dataDir(fresh).start()) {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(fresh)));
        }
    }

    @Test
    void embedCallAndStop() throws Exception {
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(plugins).start()) {
            Greeter english = atrium.service(Greeter.class, "english").orElseThrow();
            assertEquals("Hello, World!", english.greet("World"));

            List<String> names = atrium.registry().plugins().stream().map(PluginDescriptor::name).toList();
            assertEquals(List.of("english", "uzbek"), names);
            PluginDescriptor d = atrium.registry().plugin("uzbek").orElseThrow();
            assertEquals(PluginProperties.IN_PROCESS, d.transportId());
            assertEquals(Greeter.class.getName(), d.contract());
            assertEquals(2, atrium.registry().pluginsFor(Greeter.class.getName()).size());

            List<PluginEvent> events = new CopyOnWriteArrayList<>();
            try (AutoCloseable l = atrium.registry().addListener(events::add)) {
                assertEquals(2, events.size(), "told about the plugins already there");
                bundle(atrium, "io.atrium.sample.uzbek").stop();
                assertEquals(PluginEvent.Type.UNREGISTERED, events.get(2).type());
                assertEquals("uzbek", events.get(2).plugin().name());
                assertTrue(atrium.service(Greeter.class, "uzbek").isEmpty());
                bundle(atrium, "io.atrium.sample.uzbek").start();
                assertEquals(PluginEvent.Type.REGISTERED, events.get(3).type());
            }
        }
    }

    @Test
    void pluginComponentsStayDelayedUntilTheFirstCall() throws Exception {
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(plugins).start()) {
            assertTrue(componentState(atrium, "io.atrium.sample.greeter.EnglishGreeter").contains("SATISFIED"),
                    "registered but not created before anybody calls it");
            Greeter english = atrium.service(Greeter.class, "english").orElseThrow();
            assertTrue(componentState(atrium, "io.atrium.sample.greeter.EnglishGreeter").contains("SATISFIED"),
                    "getting the facade creates nothing");
            assertEquals("Hello, you!", english.greet("you"));
            assertTrue(componentState(atrium, "io.atrium.sample.greeter.EnglishGreeter").contains("ACTIVE"));
        }
    }

    private static String componentState(Atrium atrium, String component) {
        var lines = atrium.execute("scr:list").output().lines().toList();
        for (int i = 0; i < lines.size() - 1; i++) {
            if (lines.get(i).startsWith(component + " ")) {
                return lines.get(i + 1);
            }
        }
        throw new AssertionError(component + " not in scr:list");
    }

    @Test
    void restartOnTheSameDataFolderKeepsInstalledPlugins() throws Exception {
        Path plugins = TestPlugins.samplePlugins(work.resolve("plugins"));
        Path extra = TestPlugins.greeterPlugin(work, "test.extra", "extra", TestPlugins.apiJar());
        long englishId;
        long extraId;
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(plugins).start()) {
            englishId = bundle(atrium, "io.atrium.sample.greeter").getBundleId();
            // installed by hand, not from the folder: only the framework's cache remembers it
            Bundle b = atrium.bundleContext().installBundle(extra.toUri().toString());
            b.start();
            extraId = b.getBundleId();
        }
        try (Atrium atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(plugins).start()) {
            assertEquals(englishId, bundle(atrium, "io.atrium.sample.greeter").getBundleId(), "not installed twice");
            assertEquals(extraId, bundle(atrium, "test.extra").getBundleId());
            assertEquals("Hi from extra, you", atrium.service(Greeter.class, "extra").orElseThrow().greet("you"));
            assertEquals(3, atrium.registry().plugins().size());
            assertEquals(1, java.util.Arrays.stream(atrium.bundleContext().getBundles())
                    .filter(x -> "io.atrium.sample.greeter".equals(x.getSymbolicName())).count());
        }
    }

    @Test
    void secondServerOnTheSameDataFolderIsRefused() throws Exception {
        try (Atrium first = TestPlugins.builder().dataDir(work.resolve("data")).start()) {
            AtriumException e = assertThrows(AtriumException.class, () -> TestPlugins.builder().dataDir(work.resolve("data")).start());
            assertTrue(e.getMessage().startsWith("another Atrium server is running on data folder"), e.getMessage());
            assertTrue(first.registry().plugins().isEmpty());
        }
    }

    @Test
    void badFoldersAreRefusedWithOneLine() throws Exception {
        Path file = Files.writeString(work.resolve("not-a-folder"), "x");
        assertEquals("data folder " + file + " is not a folder",
                assertThrows(AtriumException.class, () -> TestPlugins.builder().dataDir(file).start()).getMessage());
        Path missing = work.resolve("missing");
        assertEquals("data folder " + missing + " does not exist",
                assertThrows(AtriumException.class, () -> TestPlugins.builder().dataDir(missing, false).start()).getMessage());
        assertEquals("plugin folder " + missing + " does not exist or is not a folder",
                assertThrows(AtriumException.class, () -> TestPlugins.builder().dataDir(work.resolve("d")).pluginDir(missing).start()).getMessage());
    }

    private static Bundle bundle(Atrium atrium, String bsn) {
        for (Bundle b : atrium.bundleContext().getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(bsn + " not installed");
    }
}
