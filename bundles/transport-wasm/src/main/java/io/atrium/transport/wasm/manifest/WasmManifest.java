package io.atrium.transport.wasm.manifest;

import com.google.gson.JsonElement;
import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.kit.KitManifest;
import io.atrium.transport.support.kit.ManifestBasics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A wasm plugin's manifest, {@code NAME.wasm.json}, beside its module: which contract the module
 * implements, how methods map to exports, what it is granted and its limits.
 *
 * @param file            the manifest's path
 * @param name            the plugin's name (the file name without {@code .wasm.json} unless given)
 * @param version         the plugin's version
 * @param contract        the contract interface's fully qualified name
 * @param contractVersion the range of the contract package's versions the module was built for
 * @param module          the module's path, resolved against the manifest's folder
 * @param sha256          the module's expected SHA-256 (hex), or null when it is not pinned
 * @param exports         contract method → export, for methods whose export has another name
 * @param encoding        how arguments and results cross: JSON, or raw bytes for one string in and out
 * @param engine          compiled to JVM bytecode (the default) or interpreted
 * @param config          the plugin's configuration, read with Extism's {@code config_get}
 * @param limits          memory, time, output and variable caps
 * @param stateless       the module keeps nothing from one call to the next, so its calls may run on several instances
 * @param instances       how many instances may run calls at once: 1 unless the module is stateless
 * @param wasi            whether the module gets WASI preview 1 (no files unless granted, a fixed clock, secure randomness)
 * @param allowedPaths    the folders granted (Extism's {@code allowed_paths}: {@code "ro:data": "/data"} is read-only)
 * @param allowedHosts    hosts the module may reach with Extism's http_request: a name, {@code *.suffix}, or {@code *}
 * @param capabilities    what the plugin declares it supports (as a process plugin's handshake does)
 * @param functions       for a module with no contract: the exports it may be called by (empty: every export of an
 *                        Extism function's type)
 */
public record WasmManifest(
        Path file,
        String name,
        String version,
        String contract,
        String contractVersion,
        Path module,
        String sha256,
        Map<String, String> exports,
        Encoding encoding,
        Engine engine,
        Map<String, String> config,
        Limits limits,
        boolean stateless,
        int instances,
        boolean wasi,
        List<Grant> allowedPaths,
        List<String> allowedHosts,
        List<io.atrium.api.Capability> capabilities,
        List<String> functions) implements KitManifest {

    /**
     * One folder a module may reach through WASI.
     *
     * @param host     the folder on the host
     * @param guest    the absolute path the module sees it at
     * @param readOnly the module sees a private copy, so nothing it writes reaches the host
     */
    public record Grant(Path host, String guest, boolean readOnly) {
    }

    /** The file name suffix of wasm plugin manifests. */
    public static final String SUFFIX = ".wasm.json";

    /** How a call's arguments and result cross into the module. */
    public enum Encoding {
        /** Input: the arguments as a JSON array; output: the result as JSON. */
        JSON,
        /** For a method taking one String and returning one: its UTF-8 bytes in and out, as plain Extism plugins expect. */
        RAW
    }

    /** How the module runs. */
    public enum Engine {
        /** Chicory's compiler: JVM bytecode, made once per module and cached by its digest. */
        COMPILED,
        /** Chicory's interpreter: no compile cost, 20 to 160 times slower. */
        INTERPRETED
    }

    /**
     * @param callTimeoutMs  how long a call may run before it is stopped and its instance discarded
     * @param memoryMb       the cap on the module's linear memory; the module's own maximum applies if lower
     * @param maxOutputBytes the largest output a call may set
     * @param maxVarBytes    the most bytes the plugin's Extism variables may hold together
     * @param stackKb        run calls on the plugin's own threads with this stack size; 0 (the default): on
     *                       the caller's thread, which saves a hand-off per call and bounds recursion by its stack
     * @param maxHttpResponseBytes the largest HTTP response body the module may receive
     * @param extismMemoryMb the most Extism memory (the blocks of alloc, the input, config and variable copies) one call may
     *                       hold; Extism's own hosts let it grow without a cap
     */
    public record Limits(long callTimeoutMs, long memoryMb, long maxOutputBytes, long maxVarBytes, long stackKb, long maxHttpResponseBytes,
                         long extismMemoryMb) {
        public static final Limits DEFAULTS = new Limits(1_000, 16, 1 << 20, 1 << 20, 0, 1 << 20, 64);
    }

    private static final Set<String> FIELDS = fields();

    private static Set<String> fields() {
        Set<String> all = new java.util.HashSet<>(ManifestBasics.FIELDS);
        all.addAll(List.of("wasm", "sha256", "exports", "encoding", "engine", "config", "limits", "stateless", "instances", "wasi",
                "allowedPaths", "allowedHosts"));
        return Set.copyOf(all);
    }

    /**
     * @throws IllegalArgumentException one line naming the field at fault
     */
    public static WasmManifest parse(Path file, byte[] content) {
        return ManifestFields.inOneLine(() -> read(file, content));
    }

    private static WasmManifest read(Path file, byte[] content) {
        ManifestFields f = ManifestFields.parse(new String(content, StandardCharsets.UTF_8),
                "{ \"version\": …, \"contract\": …, \"wasm\": \"greeter.wasm\" }");
        f.onlyKnown(FIELDS.stream().sorted().toArray(String[]::new));
        ManifestBasics basics = ManifestBasics.read(file, f, SUFFIX);
        String wasm = f.required("wasm");
        Path folder = file.toAbsolutePath().getParent();
        Path module = folder.resolve(wasm).normalize();
        String sha = f.string("sha256", null);
        if (sha != null && !sha.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("field 'sha256': expected 64 hexadecimal digits, found '" + sha + "'");
        }
        Map<String, String> exports = new LinkedHashMap<>();
        ManifestFields e = f.object("exports");
        if (basics.invocable() && !e.o().isEmpty()) {
            throw new IllegalArgumentException("field 'exports': maps a contract's methods to exports, and this plugin has no contract "
                    + "(its exports are called by name; 'functions' lists those it may be called by)");
        }
        for (String method : e.o().keySet()) {
            exports.put(method, e.required(method));
        }
        for (String fn : basics.functions()) {
            if (notAFunction(fn)) {
                throw new IllegalArgumentException("field 'functions': '" + fn + "' is not called by name (WASI's _start and _initialize, "
                        + "and the toolchains' names starting with __, are not functions)");
            }
        }
        // a module with no contract is an ordinary Extism plugin: bytes in, bytes out, unless it says it takes JSON
        Encoding encoding = switch (f.string("encoding", basics.invocable() ? "raw" : "json")) {
            case "json" -> Encoding.JSON;
            case "raw" -> Encoding.RAW;
            default -> throw new IllegalArgumentException("field 'encoding': '" + f.string("encoding", "") + "' (expected json or raw)");
        };
        Engine engine = switch (f.string("engine", "compiled")) {
            case "compiled" -> Engine.COMPILED;
            case "interpreted" -> Engine.INTERPRETED;
            default -> throw new IllegalArgumentException("field 'engine': '" + f.string("engine", "") + "' (expected compiled or interpreted)");
        };
        Map<String, String> config = new LinkedHashMap<>();
        ManifestFields c = f.object("config");
        for (Map.Entry<String, JsonElement> entry : c.o().entrySet()) {
            JsonElement v = entry.getValue();
            if (!v.isJsonPrimitive()) {
                throw new IllegalArgumentException(c.path(entry.getKey()) + ": expected a string, number or boolean (Extism's config is text), found " + v);
            }
            config.put(entry.getKey(), v.getAsString());
        }
        ManifestFields l = f.object("limits");
        Limits d = Limits.DEFAULTS;
        l.onlyKnown("callTimeoutMs", "memoryMb", "maxOutputBytes", "maxVarBytes", "stackKb", "maxHttpResponseBytes", "extismMemoryMb");
        Limits limits = new Limits(l.positive("callTimeoutMs", d.callTimeoutMs()), l.positive("memoryMb", d.memoryMb()),
                l.positive("maxOutputBytes", d.maxOutputBytes()), l.natural("maxVarBytes", d.maxVarBytes()), l.natural("stackKb", d.stackKb()),
                l.positive("maxHttpResponseBytes", d.maxHttpResponseBytes()), l.positive("extismMemoryMb", d.extismMemoryMb()));
        if (limits.extismMemoryMb() > 1024) {
            throw new IllegalArgumentException("field 'limits.extismMemoryMb': " + limits.extismMemoryMb() + " is over 1024 MiB");
        }
        if (limits.memoryMb() > 4096) {
            throw new IllegalArgumentException("field 'limits.memoryMb': " + limits.memoryMb() + " is over the 4096 MiB a 32-bit module can address");
        }
        // Extism runs a plugin's calls one at a time on one instance: its globals, memory and variables
        // carry from each call to the next. Several instances only for a module that says it keeps nothing.
        boolean stateless = f.bool("stateless", false);
        long instances = f.positive("instances", stateless ? Math.max(2, Runtime.getRuntime().availableProcessors()) : 1);
        if (instances > 256) {
            throw new IllegalArgumentException("field 'instances': " + instances + " is more than 256");
        }
        if (instances > 1 && !stateless) {
            throw new IllegalArgumentException("field 'instances': " + instances + " instances need \"stateless\": true (each instance has "
                    + "its own globals and memory, and calls on several at once race on the plugin's variables)");
        }
        List<Grant> grants = new java.util.ArrayList<>();
        ManifestFields g = f.object("allowedPaths");
        for (String host : g.o().keySet()) {
            String guest = g.required(host);
            if (!guest.startsWith("/")) {
                throw new IllegalArgumentException(g.path(host) + ": the module's path '" + guest + "' must be absolute, e.g. /data");
            }
            boolean ro = host.startsWith("ro:");
            grants.add(new Grant(folder.resolve(ro ? host.substring(3) : host).normalize(), guest, ro));
        }
        boolean wasi = f.bool("wasi", false) || !grants.isEmpty();
        return new WasmManifest(file, basics.name(), basics.version(), basics.contract(), basics.contractVersion(), module,
                sha == null ? null : sha.toLowerCase(java.util.Locale.ROOT), Map.copyOf(exports), encoding, engine,
                Map.copyOf(config), limits, stateless, (int) instances, wasi, List.copyOf(grants),
                List.copyOf(f.strings("allowedHosts", List.of())), basics.capabilities(), basics.functions());
    }

    /**
     * @return whether an export of this name is no function of a module with no contract, whatever its type: WASI's
     *         entry points (run when an instance is made) and the toolchains' own ({@code __})
     */
    public static boolean notAFunction(String export) {
        return export.equals("_start") || export.equals("_initialize") || export.startsWith("__");
    }

    /** @return the export that implements a contract method */
    public String exportFor(String method) {
        return exports.getOrDefault(method, method);
    }

    /** @return the files besides the manifest whose change reloads the plugin: its module */
    @Override
    public List<Path> ownFiles() {
        return List.of(module);
    }

    @Override
    public long callTimeoutMs() {
        return limits.callTimeoutMs();
    }

    /** @return whether the manifest pins its module ({@code sha256}) */
    @Override
    public boolean pinned() {
        return sha256 != null;
    }
}
