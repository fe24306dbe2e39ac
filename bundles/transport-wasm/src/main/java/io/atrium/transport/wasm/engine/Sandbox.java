package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.wasm.files.ConfinedFileSystem;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * What WASI gives a module that asks for it: the folders its manifest grants (read-only ones as a
 * private copy), each as a {@link ConfinedFileSystem}, in which no link leads out, and nothing else. No arguments, no environment, no stdin; stdout and stderr go to the
 * plugin's log like a process plugin's stderr; the clock is fixed at the epoch (wazero's default), so
 * a module cannot time the host. Randomness is not fixed: each instance draws from its own
 * {@link SecureRandom}, as a module making keys or nonces expects (a fixed seed would give every
 * plugin and instance the same bytes).
 */
final class Sandbox {
    private Sandbox() {
    }

    /** WASI for one instance, and what to delete when the instance goes (the copies of read-only grants). */
    record Wasi(WasiPreview1 wasi, List<Path> copies) {
        void close() {
            if (wasi != null) {
                wasi.close();
            }
            for (Path copy : copies) {
                try (var files = Files.walk(copy)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    // a temporary folder; the system cleans it up eventually
                }
            }
        }
    }

    static Wasi wasi(WasmManifest m, PluginLog log) {
        WasiOptions.Builder o = WasiOptions.builder()
                .withStdin(InputStream.nullInputStream())
                .withStdout(new LogLines(log))
                .withStderr(new LogLines(log))
                .withClock(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
                .withRandom(new SecureRandom());
        List<Path> copies = new ArrayList<>();
        for (WasmManifest.Grant grant : m.allowedPaths()) {
            try {
                Path folder = grant.readOnly() ? copy(grant.host(), copies) : grant.host();
                o.withDirectory(grant.guest(), ConfinedFileSystem.of(folder).root());
            } catch (IOException e) {
                new Wasi(null, copies).close();
                throw new IllegalStateException("the grant of " + grant.host() + " could not be prepared: " + e.getMessage());
            }
        }
        return new Wasi(WasiPreview1.builder().withOptions(o.build()).build(), copies);
    }

    /**
     * Chicory's WASI has no read-only folders, so a read-only grant shows the module a private copy made
     * for its instance: what it writes there never reaches the host, and goes with the instance. The
     * folder is read as the module would read it, confined: its links are left out, not followed.
     */
    private static Path copy(Path folder, List<Path> copies) throws IOException {
        Path target = Files.createTempDirectory("atrium-wasm-ro-");
        copies.add(target);
        try (DirectoryStream<Path> top = Files.newDirectoryStream(ConfinedFileSystem.of(folder).root())) {
            copyInto(top, target);
        }
        return target;
    }

    /**
     * Copies folders and files. The folder may change meanwhile: what vanishes or turns into a link
     * before it is opened is left out (a refused permission is not: that is the grant's fault).
     */
    private static void copyInto(DirectoryStream<Path> from, Path to) throws IOException {
        for (Path entry : from) {
            Path target = to.resolve(entry.getFileName().toString());
            DirectoryStream<Path> folder = null;
            InputStream file = null;
            try {
                BasicFileAttributes a = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isDirectory()) {
                    folder = Files.newDirectoryStream(entry);
                } else if (a.isRegularFile()) {
                    file = Files.newInputStream(entry);
                }
            } catch (AccessDeniedException e) {
                throw e;
            } catch (IOException changedMeanwhile) {
                continue;
            }
            if (folder != null) {
                try (DirectoryStream<Path> f = folder) {
                    copyInto(f, Files.createDirectory(target));
                }
            } else if (file != null) {
                try (InputStream in = file) {
                    Files.copy(in, target);
                }
            }
        }
    }

    /** A module's stdout or stderr, line by line into the plugin's log (levels from prefixes, rate-limited). */
    private static final class LogLines extends OutputStream {
        private final PluginLog log;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LogLines(PluginLog log) {
            this.log = log;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                flush();
            } else if (line.size() < 4096) {
                line.write(b);
            }
        }

        @Override
        public synchronized void flush() {
            if (line.size() > 0) {
                log.stderr(line.toString(StandardCharsets.UTF_8));
                line.reset();
            }
        }
    }
}
