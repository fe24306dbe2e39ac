package io.atrium.transport.support.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.transport.process.manifest.PluginManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The private copies pinned files run from, launched as the transport launches them, with a real
 * Python ({@code /usr/bin/python3}): what runs is the pinned bytes, whatever was put beside or in place of a copy.
 */
class VerifiedCopiesTest {
    static final String PYTHON = "/usr/bin/python3";
    @TempDir
    Path dir;
    private Path folder;
    private Path verified;
    private OrphanGuard guard;
    private Launcher launcher;

    @BeforeEach
    void start() throws Exception {
        folder = Files.createDirectories(dir.resolve("plugins"));
        verified = dir.resolve("verified");
        guard = OrphanGuard.start();
        launcher = new Launcher(Map.of(), verified, guard);
    }

    @AfterEach
    void stop() {
        guard.close();
    }

    /** A pinned script printing what its pinned module holds, and what the helper the server hands to plugins says. */
    private PluginManifest pinned() throws Exception {
        Path script = Files.writeString(folder.resolve("show.py"), """
                import os, sys
                import lib
                sys.path.insert(0, os.environ['ATRIUM_SDK_PYTHON'])
                import atrium_plugin
                print(lib.WORD, atrium_plugin.COOKIE, sys.flags.dont_write_bytecode)
                """);
        Path lib = Files.writeString(folder.resolve("lib.py"), "WORD = 'pinned'\n");
        String json = """
                {"version": "1.0.0", "contract": "a.b.Greeter", "command": ["%s", "show.py"], "mode": "exec",
                 "sha256": {"show.py": "%s", "lib.py": "%s"}}""".formatted(PYTHON, sha256(script), sha256(lib));
        return PluginManifest.parse(folder.resolve("show.plugin.json"), json.getBytes(StandardCharsets.UTF_8));
    }

    /** @return what one launch printed */
    private String run(PluginManifest m) throws Exception {
        Launcher.Launched l = launcher.start(m, m.protocolEnv(launcher.pythonHelper()));
        l.process().getOutputStream().close();
        String out = new String(l.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(l.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, l.process().exitValue(), out + new String(l.process().getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void aCopyReplacedWithTheSameSizeAndTimeIsWrittenAgainBeforeItRuns() throws Exception {
        PluginManifest m = pinned();
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m));
        Path copy = verified.resolve("show/lib.py");
        replaceKeepingSizeAndTime(copy, "WORD = 'PWNED!'\n");
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m), "the replaced copy was not run");
        assertEquals("WORD = 'pinned'\n", Files.readString(copy));
        // a launcher of a server started again on the same data folder trusts nothing it finds there either
        replaceKeepingSizeAndTime(copy, "WORD = 'PWNED!'\n");
        launcher = new Launcher(Map.of(), verified, guard);
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m));
    }

    @Test
    void bytecodePlantedBesideAPinnedModuleOrItsCopyDoesNotRun() throws Exception {
        PluginManifest m = pinned();
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m));
        Path copy = verified.resolve("show/lib.py");
        assertFalse(Files.exists(copy.resolveSibling("__pycache__")), "no bytecode is written beside the copies");
        // bytecode of other source, stamped with the size and time of the module's source, beside its copy and beside it
        plantBytecode(copy, "WORD = 'PWNED!'\n");
        plantBytecode(folder.resolve("lib.py"), "WORD = 'PWNED!'\n");
        Files.writeString(copy.resolveSibling("planted.py"), "print('planted')\n");
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m));
        assertFalse(Files.exists(copy.resolveSibling("__pycache__")), "what is not a copy is removed: " + copy.getParent());
        assertFalse(Files.exists(copy.resolveSibling("planted.py")));
    }

    @Test
    void aFolderOfCopiesThatIsALinkIsReplacedNotFollowed() throws Exception {
        PluginManifest m = pinned();
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m));
        // the plugin's folder of copies made a link to a folder elsewhere (a data folder restored from another
        // machine, say) that holds the right copies, and bytecode beside them: the copies compared the same through
        // the link, the folder was not pruned (not a directory without following links), and the bytecode ran
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path show = verified.resolve("show");
        for (String f : new String[] {"show.py", "lib.py"}) {
            Files.copy(show.resolve(f), elsewhere.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        new VerifiedCopies(verified).discard("show");
        Files.createSymbolicLink(show, elsewhere);
        plantBytecode(elsewhere.resolve("lib.py"), "WORD = 'PWNED!'\n");
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m));
        assertTrue(Files.isDirectory(show, java.nio.file.LinkOption.NOFOLLOW_LINKS), "a folder of the server's own, not the link");
        assertTrue(Files.exists(elsewhere.resolve("__pycache__")), "nothing is done to what the link led to");
    }

    @Test
    void theHelperHandedToPluginsIsTheServersOwnWhateverWasPutInItsPlace() throws Exception {
        PluginManifest m = pinned();
        run(m);
        Path sdk = verified.resolve(VerifiedCopies.SDK_FOLDER).resolve("python").resolve("atrium_plugin.py");
        String real = Files.readString(sdk);
        assertEquals(Files.readString(Path.of("../../sdk/python/atrium_plugin.py")), real, "the copy holds the helper the bundle was built with");
        String fake = real.replace("atrium-plugin-7f3c9b2e", "PWNED-PWNED-PWNED-PWNE");
        replaceKeepingSizeAndTime(sdk, fake);
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m), "a changed helper is replaced before the launch");
        plantBytecode(sdk, fake);
        assertEquals("pinned atrium-plugin-7f3c9b2e 1", run(m), "the helper's planted bytecode does not run");
        assertEquals(real, Files.readString(sdk));
    }

    @Test
    void everyFileOfTheHelperIsBuiltIntoTheBundle() throws Exception {
        try (var files = Files.list(Path.of("../../sdk/python"))) {
            assertEquals(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".py")).sorted().toList(),
                    VerifiedCopies.SDK_FILES.stream().sorted().toList());
        }
    }

    /** Writes other bytes of the same length in place of a file, with its time as it was. */
    static void replaceKeepingSizeAndTime(Path file, String content) throws Exception {
        FileTime time = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        file.toFile().setWritable(true, true);
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, time);
        assertEquals(size, Files.size(file), "the same size");
    }

    /**
     * Compiles other source into the {@code __pycache__} beside a module, stamped with the module's own
     * size and time, as Python checks them: Python would take it for the module's bytecode.
     */
    static void plantBytecode(Path module, String otherSource) throws Exception {
        Path other = Files.createTempDirectory("planted").resolve(module.getFileName());
        Files.writeString(other, otherSource);
        assertEquals(Files.size(module), Files.size(other), "the same size as the module");
        Files.setLastModifiedTime(other, Files.getLastModifiedTime(module));
        String name = module.getFileName().toString().replace(".py", "");
        Path pyc = module.resolveSibling("__pycache__").resolve(name + ".cpython-" + pythonVersion() + ".pyc");
        Process p = new ProcessBuilder(PYTHON, "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
                other.toString(), pyc.toString()).inheritIO().start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "compiled");
        assertTrue(Files.isRegularFile(pyc));
    }

    static String pythonVersion() throws Exception {
        Process p = new ProcessBuilder(PYTHON, "-c", "import sys; print('%d%d' % sys.version_info[:2])").start();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
