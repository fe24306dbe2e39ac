package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * What WASI gives a module that asks for it: the folders its manifest grants (read-only ones as a
 * private copy) and nothing else. No arguments, no environment, no stdin; stdout and stderr go to the
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
            wasi.close();
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
            o.withDirectory(grant.guest(), grant.readOnly() ? copy(grant.host(), copies) : grant.host());
        }
        return new Wasi(WasiPreview1.builder().withOptions(o.build()).build(), copies);
    }

    /**
     * Chicory's WASI has no read-only folders, so a read-only grant shows the module a private copy made
     * for its instance: what it writes there never reaches the host, and goes with the instance.
     */
    private static Path copy(Path folder, List<Path> copies) {
        try {
            Path target = Files.createTempDirectory("atrium-wasm-ro-");
            copies.add(target);
            try (var files = Files.walk(folder)) {
                for (Path p : files.toList()) {
                    Path to = target.resolve(folder.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else if (Files.isRegularFile(p)) {
                        Files.copy(p, to);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new IllegalStateException("the read-only grant of " + folder + " could not be prepared: " + e.getMessage());
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
