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
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * What WASI gives a module that asks for it: the folders its manifest grants, each as a
 * {@link ConfinedFileSystem}, in which no link leads out (read-only ones refuse every change), and nothing else. No arguments, no environment, no stdin; stdout and stderr go to the
 * plugin's log like a process plugin's stderr; the clock is fixed at the epoch (wazero's default), so
 * a module cannot time the host. Randomness is not fixed: each instance draws from its own
 * {@link SecureRandom}, as a module making keys or nonces expects (a fixed seed would give every
 * plugin and instance the same bytes).
 */
final class Sandbox {
    private Sandbox() {
    }

    /** WASI for one instance. */
    record Wasi(WasiPreview1 wasi) {
        void close() {
            wasi.close();
        }
    }

    static Wasi wasi(WasmManifest m, PluginLog log) {
        WasiOptions.Builder o = WasiOptions.builder()
                .withStdin(InputStream.nullInputStream())
                .withStdout(new LogLines(log))
                .withStderr(new LogLines(log))
                .withClock(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
                .withRandom(new SecureRandom());
        for (WasmManifest.Grant grant : m.allowedPaths()) {
            try {
                // a read-only grant is the folder itself, confined read-only: no copy to fill /tmp with
                o.withDirectory(grant.guest(), ConfinedFileSystem.of(grant.host(), grant.readOnly()).root());
            } catch (IOException e) {
                throw new IllegalStateException("the grant of " + grant.host() + " could not be prepared: " + e.getMessage());
            }
        }
        return new Wasi(WasiPreview1.builder().withOptions(o.build()).build());
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
