package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginException;
import io.atrium.api.greeting.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Go's c-shared libraries in the server's JVM, built here with Debian's Go and the Go SDK: the one Go runtime a
 * process can hold. In a JVM of its own (runtime/pom.xml): a Go library cannot be unloaded.
 */
class NativeGoIT extends ServerWithPluginFolder {
    static final Path SDK = Path.of("..", "sdk", "native", "go").toAbsolutePath().normalize();

    /** @return the example Go Greeter built as a shared library, its answer changed to {@code answer} */
    Path goLibrary(String name, String answer) throws Exception {
        Path src = Files.createDirectories(work.resolve("gopath/src/" + name));
        String main = Files.readString(NativePluginIT.EXAMPLES.resolve("go-greeter/main.go"));
        Files.writeString(src.resolve("main.go"), main.replace("\"Hello, \" + name + \"! (from Go)\"", answer));
        Path out = work.resolve("lib" + name + ".so");
        ProcessBuilder pb = new ProcessBuilder("go", "build", "-buildmode=c-shared", "-o", out.toString(), ".").directory(src.toFile())
                .redirectErrorStream(true);
        pb.environment().put("GO111MODULE", "off"); // the SDK is a GOPATH folder, standard library only: offline
        pb.environment().put("GOPATH", work.resolve("gopath") + ":" + SDK);
        pb.environment().put("GOCACHE", work.resolve("gocache").toString());
        Process build = pb.start();
        build.getOutputStream().close();
        String said = new String(build.getInputStream().readAllBytes());
        assertEquals(0, build.waitFor(), said);
        return out;
    }

    @Test
    void theGoGreeterRunsInTheServersJvmAndNoSecondGoRuntimeIsLoaded() throws Exception {
        Process install = new ProcessBuilder("sh", ProcessPluginIT.EXAMPLES.resolve("install-go.sh").toString()).redirectErrorStream(true).start();
        install.getOutputStream().close();
        String installLog = new String(install.getInputStream().readAllBytes());
        assertTrue(install.waitFor(10, TimeUnit.MINUTES), "install-go.sh did not end");
        assertEquals(0, install.exitValue(), "install-go.sh failed:\n" + installLog);

        place(goLibrary("greeter", "\"Hello, \" + name + \"! (from Go)\""), "libgreeter.so");
        Files.copy(NativePluginIT.EXAMPLES.resolve("go-greeter/greeter.native.json"), folder.resolve(".greeter.native.json"));
        Files.move(folder.resolve(".greeter.native.json"), folder.resolve("greeter.native.json"));
        Greeter g = greeter("greeter");
        assertEquals("Hello, World! (from Go)", g.greet("World"));
        assertEquals("plugin 'greeter': greet failed: a name is needed", assertThrows(PluginException.class, () -> g.greet("")).getMessage());
        String info = atrium.execute("plugin:info greeter").output();
        assertTrue(info.lines().anyMatch(l -> l.matches("runtime\\s+Go .*")), info);

        // a stop and a start open the same library again: no second runtime, the same plugin answers
        atrium.execute("plugin:stop greeter");
        atrium.execute("plugin:start greeter");
        assertEquals("Hello, back! (from Go)", greeter("greeter").greet("back"));

        // another Go library would be a second Go runtime in the process: refused, saying what to do instead
        Path second = goLibrary("second", "\"Salom, \" + name");
        place(second, "libsecond.so");
        drop("second.native.json", NativePluginIT.MANIFEST.formatted("libsecond.so", ""));
        await(() -> "a second Go runtime is refused:\n" + PluginFacts.folder(atrium), () -> PluginFacts.refused(atrium, "second.native.json",
                "libsecond.so holds a Go runtime, and plugin 'greeter' already runs one in this process (a process holds one Go runtime"));
        assertTrue(PluginFacts.detail(atrium, "second.native.json").endsWith("(isolated native plugins, which will run each in a process of its own, are not available yet)"),
                PluginFacts.detail(atrium, "second.native.json"));

        // and so would a new version of the loaded one: the version loaded serves on
        place(second, "libgreeter.so");
        await(() -> "a new version of a Go library is refused:\n" + String.join("\n", log),
                () -> logs.contains("libgreeter.so is a new version of a Go library, which cannot replace the one loaded in this process"));
        assertEquals("Hello, again! (from Go)", g.greet("again"));

    }
}
