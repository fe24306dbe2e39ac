package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginState;
import io.atrium.api.greeting.Greeter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Shared libraries built here with gcc, as plugins in the server's JVM, deployed from a real watched folder. */
class NativePluginIT extends ServerWithPluginFolder {
    static final Path SDK = Path.of("..", "sdk", "native", "c").toAbsolutePath().normalize();
    static final Path EXAMPLES = Path.of("..", "examples", "native").toAbsolutePath().normalize();
    static final String MANIFEST = """
            {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "library": "%s", "isolation": "in-process"%s}
            """;

    Path build;

    @BeforeEach
    void toolchain() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "needs Debian's gcc to build the test libraries");
        build = Files.createDirectories(work.resolve("build"));
    }

    /** @return a shared library built from C source with the SDK's header on the include path */
    Path cc(String name, String source, String... flags) throws Exception {
        Path src = build.resolve(name + ".c");
        Files.writeString(src, source);
        Path out = build.resolve("lib" + name + ".so");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O2", "-I" + SDK, "-o", out.toString(), src.toString()));
        cmd.addAll(List.of(flags));
        gcc(cmd);
        return out;
    }

    static void gcc(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + said);
    }

    static String greeterSource(String answer) {
        return """
                #include "atrium_plugin.h"
                static char *greet(const char *name) {
                    if (name[0] == 0) return atrium_error("a name is needed");
                    return atrium_format("%s", name);
                }
                ATRIUM_PLUGIN("io.atrium.api.greeting.Greeter", "1.0.0", ATRIUM_STRING_FUNCTION("greet", greet));
                """.formatted(answer);
    }

    void deploy(String name, Path library, String extra) throws Exception {
        place(library, "lib" + name + ".so");
        drop(name + ".native.json", MANIFEST.formatted("lib" + name + ".so", extra));
    }

    String info(String name) {
        return atrium.execute("plugin:info " + name).output();
    }

    void awaitRefused(String file, String why) {
        await(() -> file + " is refused with: " + why + "\n" + PluginFacts.folder(atrium) + "\n" + String.join("\n", log),
                () -> PluginFacts.refused(atrium, file, why));
    }

    @Test
    void theExampleCGreeterRunsInTheServersJvmAsAnOrdinaryGreeter() throws Exception {
        Path lib = build.resolve("libgreeter.so");
        gcc(List.of("gcc", "-shared", "-fPIC", "-O2", "-I" + SDK, "-o", lib.toString(), EXAMPLES.resolve("c-greeter/greeter.c").toString()));
        place(lib, "libgreeter.so");
        Files.copy(EXAMPLES.resolve("c-greeter/greeter.native.json"), folder.resolve(".greeter.native.json"));
        Files.move(folder.resolve(".greeter.native.json"), folder.resolve("greeter.native.json"));

        Greeter g = greeter("greeter");
        assertEquals("Hello, World! (from C)", g.greet("World"));
        assertEquals("Hello, \"quoted\" \\ ünïcödé 😀! (from C)", g.greet("\"quoted\" \\ ünïcödé 😀"));
        PluginException e = assertThrows(PluginException.class, () -> g.greet(""));
        assertEquals("plugin 'greeter': greet failed: a name is needed", e.getMessage());
        PluginDescriptor d = atrium.registry().plugin("greeter").orElseThrow();
        assertEquals("native", d.transportId());
        assertEquals(PluginState.ACTIVE, d.state());
        assertEquals("Hello, Shell! (from C)\n", atrium.execute("plugin:call greeter greet Shell").output());
        String info = info("greeter");
        assertTrue(info.lines().anyMatch(l -> l.matches("isolation\\s+in-process.*")), info);
        assertTrue(info.lines().anyMatch(l -> l.matches("mapped copies\\s+1")), info);
        assertTrue(info.lines().anyMatch(l -> l.matches("threading\\s+serial.*")), info);
        assertTrue(info.lines().anyMatch(l -> l.matches("call timeout\\s+none: a call in the server's JVM cannot be stopped.*")), info);

        // JNA's own native part came from the framework's cache, not copied into the user's home
        String maps = Files.readString(Path.of("/proc/self/maps"));
        String dispatch = maps.lines().filter(l -> l.contains("libjnidispatch")).findFirst().orElseThrow();
        assertTrue(dispatch.contains(work.toString()) && !dispatch.contains("/.cache/"), dispatch);
        // the library was loaded from a private copy, named after the plugin, and the copy is gone from disk
        String copy = maps.lines().filter(l -> l.contains(work + "/data/") && l.contains("/greeter-") && l.endsWith("(deleted)"))
                .map(l -> l.substring(l.indexOf(work.toString()))).findFirst().orElseThrow(() -> new AssertionError("no private copy mapped:\n" + maps));

        Files.delete(folder.resolve("greeter.native.json"));
        await("the plugin is gone", () -> atrium.registry().plugin("greeter").isEmpty());
        await("and its library unloaded", () -> {
            try {
                return Files.readString(Path.of("/proc/self/maps")).lines().noneMatch(l -> l.endsWith(copy));
            } catch (IOException ex) {
                return false;
            }
        });
    }

    @Test
    void theExampleRustGreeterRunsAsTheCOneDoes() throws Exception {
        Assumptions.assumeTrue(onPath("rustc"), "needs rustc to build examples/native/rust-greeter");
        Path lib = build.resolve("librust.so");
        Process p = new ProcessBuilder("rustc", "--edition", "2021", "--crate-type", "cdylib", "-C", "opt-level=2", "-o", lib.toString(),
                EXAMPLES.resolve("rust-greeter/greeter.rs").toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), said);
        place(lib, "libgreeter.so");
        drop("rusty.native.json", Files.readString(EXAMPLES.resolve("rust-greeter/greeter.native.json")));
        Greeter g = greeter("rusty");
        assertEquals("Hello, World! (from Rust)", g.greet("World"));
        assertEquals("Hello, ünïcödé 😀! (from Rust)", g.greet("ünïcödé 😀"));
        assertEquals("plugin 'rusty': greet failed: a name is needed", assertThrows(PluginException.class, () -> g.greet("")).getMessage());
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Replaced under four callers: each version answers in turn, no call fails, and the old copies are unloaded. */
    @Test
    void aReplacedLibraryReloadsWithNoFailedCallAndTheOldOneIsUnloaded() throws Exception {
        deploy("live", cc("v1", greeterSource("v1 %s")), "");
        Greeter g = greeter("live");
        assertEquals("v1 x", g.greet("x"));
        try (Callers callers = new Callers(4, () -> g.greet("load"))) {
            for (int v = 2; v <= 4; v++) {
                place(cc("v" + v, greeterSource("v" + v + " %s")), "liblive.so");
                String want = "v" + v + " x";
                await("version " + (v) + " answers", () -> g.greet("x").equals(want));
            }
            assertTrue(callers.answered() > 0);
            assertNull(callers.failure(), () -> "a call failed: " + callers.failure());
        }
        await(() -> "one copy stays mapped:\n" + info("live"), () -> info("live").lines().anyMatch(l -> l.matches("mapped copies\\s+1")));
    }

    /** Unloading a library under a running call would pull its code from under that thread and crash the server. */
    @Test
    void aPluginStoppedOrRemovedWhileACallRunsInItIsUnloadedOnlyOnceTheCallIsDone() throws Exception {
        deploy("slow", cc("slow", greeterSource("done %s").replace("if (name[0] == 0)", "if (strcmp(name, \"slow\") == 0) usleep(1500000);\n    if (name[0] == 0)")
                .replace("#include \"atrium_plugin.h\"", "#include \"atrium_plugin.h\"\n#include <unistd.h>")), "");
        Greeter g = greeter("slow");
        for (String how : new String[] {"stop", "remove"}) {
            java.util.concurrent.CompletableFuture<String> call = java.util.concurrent.CompletableFuture.supplyAsync(() -> g.greet("slow"));
            Thread.sleep(300);
            if (how.equals("stop")) {
                atrium.execute("plugin:stop slow");
            } else {
                Files.delete(folder.resolve("slow.native.json"));
            }
            assertEquals("done slow", call.get(30, java.util.concurrent.TimeUnit.SECONDS), "the call in flight finishes (" + how + ")");
            assertThrows(PluginException.class, () -> g.greet("x"), "and no call runs after it");
            await(() -> "its library is unloaded after the call (" + how + ")", () -> {
                try {
                    return Files.readString(Path.of("/proc/self/maps")).lines().noneMatch(l -> l.contains(work + "/data/") && l.contains("/slow-"));
                } catch (IOException e) {
                    return false;
                }
            });
            if (how.equals("stop")) {
                atrium.execute("plugin:start slow");
                assertEquals("done again", greeter("slow").greet("again"));
            }
        }
        assertTrue(atrium.registry().plugin("slow").isEmpty());
    }

    @Test
    void aLibraryWhoseInitialisationNeverReturnsIsRefusedAtItsDeadlineAndTheDeployerGoesOn() throws Exception {
        deploy("stuck", cc("stuck", greeterSource("%s").replace("ATRIUM_PLUGIN(", """
                #include <unistd.h>
                int32_t atrium_init(const uint8_t *c, size_t n) { for (;;) pause(); }
                ATRIUM_PLUGIN(""")), "");
        deploy("beside", cc("beside", greeterSource("beside %s")), "");
        assertEquals("beside x", greeter("beside").greet("x"), "the deployer goes on");
        awaitRefused("stuck.native.json", "libstuck.so did not finish loading within 10000 ms: its initialisation (a constructor, atrium_init "
                + "or atrium_describe) does not return");
    }

    @Test
    void whatIsNoLibraryOfAtriumsAbiIsRefusedInOneLine() throws Exception {
        drop("libtext.so", "not a library\n");
        drop("text.native.json", MANIFEST.formatted("libtext.so", ""));
        awaitRefused("text.native.json", "libtext.so is not a shared library: not an ELF file");

        Path good = cc("good", greeterSource("%s"));
        byte[] arm = Files.readAllBytes(good);
        arm[18] = (byte) 183; // e_machine: aarch64
        arm[19] = 0;
        Path armLib = build.resolve("libarm.so");
        Files.write(armLib, arm);
        deploy("arm", armLib, "");
        awaitRefused("arm.native.json", "libarm.so is an ELF file for aarch64; this server runs on x86-64");

        Path exe = build.resolve("exe");
        Files.writeString(build.resolve("exe.c"), "int main(void) { return 0; }\n");
        gcc(List.of("gcc", "-no-pie", "-o", exe.toString(), build.resolve("exe.c").toString()));
        deploy("exe", exe, "");
        awaitRefused("exe.native.json", "libexe.so is not a shared library: an ELF executable");

        Path dep = cc("dep", "int dep_value(void) { return 42; }\n");
        Path needs = cc("needs", "int dep_value(void);\nint atrium_abi_version(void) { return dep_value(); }\n", "-L" + build, "-ldep");
        Files.delete(dep);
        deploy("needs", needs, "");
        awaitRefused("needs.native.json", "libneeds.so cannot be loaded: libdep.so: cannot open shared object file: No such file or directory");

        deploy("bare", cc("bare", "unsigned atrium_abi_version(void) { return 1; }\n"), "");
        awaitRefused("bare.native.json", "libbare.so does not export atrium_describe, atrium_invoke, atrium_free (a native plugin exports Atrium's C ABI");

        deploy("future", cc("future", """
                #include <stdint.h>
                #include <stddef.h>
                uint32_t atrium_abi_version(void) { return 2; }
                const char *atrium_describe(void) { return "{}"; }
                int32_t atrium_invoke(const char *m, const uint8_t *r, size_t n, uint8_t **o, size_t *l) { *o = 0; *l = 0; return 0; }
                void atrium_free(uint8_t *p, size_t n) { }
                """), "");
        awaitRefused("future.native.json", "libfuture.so speaks Atrium's C ABI version 2; this server speaks version 1");
        deploy("other", cc("other", greeterSource("%s").replace("\"io.atrium.api.greeting.Greeter\", \"1.0.0\"", "\"com.example.Other\", \"1.0.0\"")), "");
        awaitRefused("other.native.json", "libother.so says it implements com.example.Other (atrium_describe), and its manifest names io.atrium.api.greeting.Greeter");

        deploy("lacks", cc("lacks", greeterSource("%s").replace("ATRIUM_STRING_FUNCTION(\"greet\", greet)", "ATRIUM_STRING_FUNCTION(\"hello\", greet)")), "");
        awaitRefused("lacks.native.json", "liblacks.so does not answer greet, which Greeter needs (it answers: hello)");

        drop("outside.native.json", MANIFEST.formatted("../build/libgood.so", ""));
        awaitRefused("outside.native.json", "field 'library': '../build/libgood.so' is not a file beside the manifest");

        Files.createSymbolicLink(folder.resolve("liblink.so"), good);
        drop("link.native.json", MANIFEST.formatted("liblink.so", ""));
        awaitRefused("link.native.json", "is refused: liblink.so is a symbolic link to " + good.toRealPath() + ", outside the plugin folder");

        deploy("pinned", good, ", \"sha256\": \"" + "0".repeat(64) + "\"");
        awaitRefused("pinned.native.json", "libpinned.so has SHA-256 ");

        drop("isolated.native.json", MANIFEST.formatted("libgood.so", "").replace(", \"isolation\": \"in-process\"", ""));
        awaitRefused("isolated.native.json", "field 'isolation': process (the default) is not available yet");

        // the server is unharmed: a good library deploys beside them all
        deploy("fine", good, "");
        assertEquals("ok", greeter("fine").greet("ok"));
        // and a refused manifest's library, fixed, deploys it with no touch of the manifest
        place(good, "libtext.so");
        assertEquals("fixed", greeter("text").greet("fixed"));
    }

    @Test
    void theTrustPolicyAllowsLibrariesInTheServersJvmApart() throws Exception {
        drop("io.atrium.trust.cfg", "transports = native, wasm\n");
        deploy("local", cc("local", greeterSource("%s")), "");
        awaitRefused("local.native.json", "is refused: it runs its library in the server's JVM (native-in-process), and the trust policy allows only");
        drop("io.atrium.trust.cfg", "transports = native, native-in-process\n");
        // a changed policy applies to what is deployed next: the manifest, deployed again once the policy is in force
        await(() -> "deployed again under the policy that allows it", java.time.Duration.ofSeconds(30), java.time.Duration.ofMillis(500), () -> {
            try {
                drop("local.native.json", MANIFEST.formatted("liblocal.so", ""));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return atrium.service(Greeter.class, "local").isPresent();
        });
        assertEquals("now", greeter("local").greet("now"));
        assertTrue(log.stream().noneMatch(l -> l.contains("which no installed transport declares")), "the id is the native transport's: "
                + String.join("\n", log));
    }
}
