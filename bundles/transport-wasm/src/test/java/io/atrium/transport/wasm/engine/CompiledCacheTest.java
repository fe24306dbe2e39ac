package io.atrium.transport.wasm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.transport.support.Seal;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compile cache with the committed example modules, compiled by Chicory into real files: an entry is
 * used only as it was written for its own module; one changed, cut or another module's is discarded,
 * said so in one line naming the plugin, and the module compiled afresh.
 */
class CompiledCacheTest {
    private static final Path EXAMPLES = Path.of("..", "..", "examples", "wasm").toAbsolutePath().normalize();

    @TempDir
    Path work;
    private Path dir;
    private CompiledCache cache;
    private final List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            warnings.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void cache() {
        dir = work.resolve("data/compiled");
        cache = new CompiledCache(dir, new Seal(work.resolve("data/seal.key")), "build 1");
        Logger.getLogger("io.atrium.transport.wasm").addHandler(handler);
    }

    @AfterEach
    void detach() {
        Logger.getLogger("io.atrium.transport.wasm").removeHandler(handler);
    }

    private LoadedModule load(String name, String module) throws Exception {
        Path manifest = work.resolve(name + ".wasm.json");
        byte[] json = ("{\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\", \"wasm\": \"" + name + ".wasm\"}")
                .getBytes(StandardCharsets.UTF_8);
        LoadedModule loaded = LoadedModule.load(WasmManifest.parse(manifest, json), Files.readAllBytes(EXAMPLES.resolve(module)), cache,
                new io.atrium.transport.wasm.abi.HostFunctions(() -> { }));
        assertEquals("compiled", loaded.engine);
        return loaded;
    }

    private List<Path> entries() throws Exception {
        try (var files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    @Test
    void anEntryIsUsedAsWrittenAndForItsOwnModuleOnly() throws Exception {
        load("as", "assemblyscript-greeter/greeter.wasm");
        Path as = entries().get(0);
        byte[] written = Files.readAllBytes(as);
        load("as", "assemblyscript-greeter/greeter.wasm");
        assertEquals(List.of(as), entries(), "read back, not compiled again beside it");
        assertArrayEquals(written, Files.readAllBytes(as));
        assertEquals(List.of(), warnings);

        load("c", "c-greeter/greeter.wasm");
        Path c = entries().stream().filter(p -> !p.equals(as)).findFirst().orElseThrow();
        Files.copy(as, c, StandardCopyOption.REPLACE_EXISTING); // the AssemblyScript greeter's classes under the C greeter's name
        load("c", "c-greeter/greeter.wasm");
        assertEquals(List.of("plugin 'c': the compiled copy of c.wasm in the cache (" + c.getFileName() + ") is not as this server wrote it "
                + "(its seal does not match); discarded, the module is compiled afresh"), warnings);
        assertFalse(java.util.Arrays.equals(written, Files.readAllBytes(c)), "compiled afresh and written for its own module");
        warnings.clear();
        load("c", "c-greeter/greeter.wasm");
        assertEquals(List.of(), warnings, "the new entry is sound");
    }

    @Test
    void aChangedOrCutEntryIsDiscarded() throws Exception {
        load("as", "assemblyscript-greeter/greeter.wasm");
        Path entry = entries().get(0);
        byte[] written = Files.readAllBytes(entry);
        byte[] changed = written.clone();
        changed[changed.length - 100] ^= 1; // in the classes, past the seal
        for (byte[] bad : new byte[][] {changed, java.util.Arrays.copyOf(written, Seal.LENGTH), java.util.Arrays.copyOf(written, 10), new byte[0]}) {
            warnings.clear();
            Files.write(entry, bad);
            load("as", "assemblyscript-greeter/greeter.wasm");
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("plugin 'as': the compiled copy of as.wasm in the cache"), warnings.get(0));
            assertEquals(List.of(entry), entries());
            assertFalse(java.util.Arrays.equals(bad, Files.readAllBytes(entry)), "written afresh");
        }
        Files.delete(work.resolve("data/seal.key")); // a key lost while the server was stopped: nothing sealed before is trusted
        cache = new CompiledCache(dir, new Seal(work.resolve("data/seal.key")), "build 1");
        warnings.clear();
        load("as", "assemblyscript-greeter/greeter.wasm");
        assertEquals(1, warnings.size(), warnings.toString());
    }

    @Test
    void anotherBuildOfTheCompilerDoesNotLoadWhatThisOneWrote() throws Exception {
        load("as", "assemblyscript-greeter/greeter.wasm");
        Path first = entries().get(0);
        cache = new CompiledCache(dir, new Seal(work.resolve("data/seal.key")), "build 2"); // the transport updated
        load("as", "assemblyscript-greeter/greeter.wasm");
        assertEquals(2, entries().size(), "compiled afresh beside the old build's entry, not read from it");
        assertTrue(entries().contains(first));
        assertEquals(List.of(), warnings, "not a tampered entry: just another build's");
    }
}
