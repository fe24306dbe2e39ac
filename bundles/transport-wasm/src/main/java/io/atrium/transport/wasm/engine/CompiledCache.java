package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.compiler.Cache;
import io.atrium.transport.support.Seal;
import io.atrium.transport.support.Sha256;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.logging.Logger;

/**
 * Modules compiled to JVM bytecode, on disk in the transport's data folder, one file per module: by the
 * SHA-256 of the module's bytes as Atrium hashed them (and Chicory's own key, its digest of the same
 * bytes). The classes are loaded into the server as they are read, so each file carries a {@link Seal}
 * over those keys and its bytes, made when it is written and checked before Chicory gets it. One that
 * fails (changed, cut, or another module's under this name) is discarded and the module compiled afresh.
 */
public final class CompiledCache {
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.wasm");
    private final Path dir;
    private final Seal seal;
    private final String compiler;

    /**
     * @param dir      the folder of compiled modules
     * @param seal     the transport's seal, its key in the data folder
     * @param compiler which build of the compiler writes and reads the entries (the transport bundle's
     *                 version and install time): classes compiled by another Chicory are not loaded
     */
    public CompiledCache(Path dir, Seal seal, String compiler) {
        this.dir = dir;
        this.seal = seal;
        this.compiler = compiler;
    }

    /**
     * @param m      the manifest whose module is compiled
     * @param sha256 the SHA-256 of the module's bytes, those that are compiled
     * @return the cache as that module is compiled through it; a discarded entry is logged naming the plugin
     */
    Cache of(WasmManifest m, String sha256) {
        return new Cache() {
            @Override
            public byte[] get(String key) throws IOException {
                return read(name(sha256, key), m);
            }

            @Override
            public void putIfAbsent(String key, byte[] data) throws IOException {
                write(name(sha256, key), data);
            }
        };
    }

    /**
     * What an entry is sealed under besides its bytes: the kind of file, the module's digest, Chicory's
     * key and the compiler's build. Atrium's own digest, so that Chicory's (its algorithm a system
     * property) never decides alone; the build, so that a transport updated with another Chicory never
     * loads classes the old one made (their names and calls into the runtime may differ).
     */
    private String name(String sha256, String key) {
        return "wasm-compiled sha256=" + sha256 + " chicory=" + key + " compiler=" + compiler;
    }

    private byte[] read(String name, WasmManifest m) throws IOException {
        Path p = file(name);
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            return null;
        }
        // the bytes checked are the bytes returned: nothing is read again after the check
        byte[] data = Arrays.copyOfRange(sealed, Math.min(Seal.LENGTH, sealed.length), sealed.length);
        if (sealed.length > Seal.LENGTH && seal.matches(name, data, Arrays.copyOf(sealed, Seal.LENGTH))) {
            return data;
        }
        LOG.warning("plugin '" + m.name() + "': the compiled copy of " + m.module().getFileName() + " in the cache (" + p.getFileName()
                + ") is not as this server wrote it (its seal does not match); discarded, the module is compiled afresh");
        Files.deleteIfExists(p);
        return null;
    }

    private void write(String name, byte[] data) throws IOException {
        Path p = file(name);
        if (Files.exists(p)) {
            return;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".compiling", ".tmp");
        try {
            Files.write(tmp, seal.of(name, data));
            Files.write(tmp, data, java.nio.file.StandardOpenOption.APPEND);
            Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** One file per name, named by the name's SHA-256: two modules never share one (nor do Chicory's keys, whose base64 has '+' and '/'). */
    private Path file(String name) {
        return dir.resolve(Sha256.of(name.getBytes(StandardCharsets.UTF_8)) + ".sealed");
    }
}
