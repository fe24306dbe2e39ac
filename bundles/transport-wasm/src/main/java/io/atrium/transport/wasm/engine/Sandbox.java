package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Random;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What WASI gives a module that asks for it: the folders its manifest grants and nothing else. No
 * arguments, no environment, no stdin; stdout and stderr go to the host's log under the plugin's
 * name; the clock is fixed at the epoch and randomness is seeded, so a module behaves the same on
 * every run (wazero's defaults; Chicory's would be the real clock and real randomness).
 */
final class Sandbox {
    private Sandbox() {
    }

    static WasiPreview1 wasi(WasmManifest m) {
        Logger log = Logger.getLogger("io.atrium.plugin." + m.name());
        WasiOptions.Builder o = WasiOptions.builder()
                .withStdin(InputStream.nullInputStream())
                .withStdout(new LogLines(log, Level.INFO, m.name()))
                .withStderr(new LogLines(log, Level.WARNING, m.name()))
                .withClock(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
                .withRandom(new Random(0));
        for (Map.Entry<Path, String> grant : m.allowedPaths().entrySet()) {
            o.withDirectory(grant.getValue(), grant.getKey());
        }
        return WasiPreview1.builder().withOptions(o.build()).build();
    }

    /** A module's stdout or stderr, as log lines. */
    private static final class LogLines extends OutputStream {
        private final Logger log;
        private final Level level;
        private final String plugin;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LogLines(Logger log, Level level, String plugin) {
            this.log = log;
            this.level = level;
            this.plugin = plugin;
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
                log.log(level, "plugin '" + plugin + "': " + line.toString(StandardCharsets.UTF_8));
                line.reset();
            }
        }
    }
}
