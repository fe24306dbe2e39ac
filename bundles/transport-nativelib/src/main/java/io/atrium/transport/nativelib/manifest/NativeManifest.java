package io.atrium.transport.nativelib.manifest;

import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.kit.KitManifest;
import io.atrium.transport.support.kit.ManifestBasics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A native plugin's manifest, {@code NAME.native.json}, beside its shared library: which contract the
 * library implements (through Atrium's C ABI, docs/native.md), where it runs, and its limits.
 *
 * @param file            the manifest's path
 * @param name            the plugin's name (the file name without {@code .native.json} unless given)
 * @param version         the plugin's version
 * @param contract        the contract interface's fully qualified name
 * @param contractVersion the range of the contract package's versions the library was built for
 * @param library         the shared library's path, resolved against the manifest's folder
 * @param sha256          the library's expected SHA-256 (hex), or null when it is not pinned
 * @param isolation       where the library is loaded: a helper process of its own, or the server's JVM
 * @param methods         contract method → the name {@code atrium_invoke} is called with, for methods named otherwise
 * @param config          the plugin's configuration, handed to {@code atrium_init} as one JSON object
 * @param limits          time and output caps
 * @param capabilities    what the plugin declares it supports
 * @param functions       for a library with no contract: the names it may be called by
 */
public record NativeManifest(
        Path file,
        String name,
        String version,
        String contract,
        String contractVersion,
        Path library,
        String sha256,
        Isolation isolation,
        Map<String, String> methods,
        String config,
        Limits limits,
        List<io.atrium.api.Capability> capabilities,
        List<String> functions) implements KitManifest {

    /** The file name suffix of native plugin manifests. */
    public static final String SUFFIX = ".native.json";

    /** Where a library's code runs. */
    public enum Isolation {
        /** A helper process of the plugin's own: a crash kills the helper, which is restarted. */
        PROCESS("process"),
        /** The server's JVM: the fastest call, and any crash of the library's code kills the server. */
        IN_PROCESS("in-process");

        private final String label;

        Isolation(String label) {
            this.label = label;
        }

        /** @return the manifest's word for it */
        public String label() {
            return label;
        }
    }

    /**
     * @param callTimeoutMs  how long a call may take (isolated: then the helper is killed; in-process: see docs/native.md)
     * @param maxOutputBytes the largest answer a call may return
     */
    public record Limits(long callTimeoutMs, long maxOutputBytes) {
        public static final Limits DEFAULTS = new Limits(5_000, 16 << 20);
    }

    private static final Set<String> FIELDS = fields();

    private static Set<String> fields() {
        Set<String> all = new HashSet<>(ManifestBasics.FIELDS);
        all.addAll(List.of("library", "sha256", "isolation", "methods", "config", "limits"));
        return Set.copyOf(all);
    }

    /**
     * @throws IllegalArgumentException one line naming the field at fault
     */
    public static NativeManifest parse(Path file, byte[] content) {
        return ManifestFields.inOneLine(() -> read(file, content));
    }

    private static NativeManifest read(Path file, byte[] content) {
        ManifestFields f = ManifestFields.parse(new String(content, StandardCharsets.UTF_8),
                "{ \"version\": …, \"contract\": …, \"library\": \"libgreeter.so\" }");
        f.onlyKnown(FIELDS.stream().sorted().toArray(String[]::new));
        ManifestBasics basics = ManifestBasics.read(file, f, SUFFIX);
        String lib = f.required("library");
        if (lib.isEmpty() || lib.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw new IllegalArgumentException("field 'library': '" + lib + "' is not a file name");
        }
        Path folder = file.toAbsolutePath().getParent();
        Path library = folder.resolve(lib).normalize();
        if (library.getParent() == null || !library.getParent().equals(folder)) { // the deployer watches this folder: a library elsewhere would change unseen
            throw new IllegalArgumentException("field 'library': '" + lib + "' is not a file beside the manifest (a library is "
                    + "deployed from the plugin folder itself)");
        }
        String sha = f.string("sha256", null);
        if (sha != null && !sha.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("field 'sha256': expected 64 hexadecimal digits, found '" + sha + "'");
        }
        Isolation isolation = switch (f.string("isolation", "process")) {
            case "process" -> Isolation.PROCESS;
            case "in-process" -> Isolation.IN_PROCESS;
            default -> throw new IllegalArgumentException("field 'isolation': '" + f.string("isolation", "")
                    + "' (expected process, the default, or in-process)");
        };
        Map<String, String> methods = new LinkedHashMap<>();
        ManifestFields m = f.object("methods");
        if (basics.invocable() && !m.o().isEmpty()) {
            throw new IllegalArgumentException("field 'methods': maps a contract's methods to the library's names, and this plugin has "
                    + "no contract (it is called by name; 'functions' lists those it may be called by)");
        }
        for (String method : m.o().keySet()) {
            String to = m.required(method);
            if (!ManifestBasics.isFunctionName(to)) {
                throw new IllegalArgumentException(m.path(method) + ": '" + to + "' is not a function name (letters, digits and '_')");
            }
            methods.put(method, to);
        }
        ManifestFields c = f.object("config");
        ManifestFields l = f.object("limits");
        l.onlyKnown("callTimeoutMs", "maxOutputBytes");
        Limits d = Limits.DEFAULTS;
        Limits limits = new Limits(l.positive("callTimeoutMs", d.callTimeoutMs()), l.positive("maxOutputBytes", d.maxOutputBytes()));
        if (limits.maxOutputBytes() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("field 'limits.maxOutputBytes': " + limits.maxOutputBytes() + " is over 2 GiB");
        }
        return new NativeManifest(file, basics.name(), basics.version(), basics.contract(), basics.contractVersion(), library,
                sha == null ? null : sha.toLowerCase(Locale.ROOT), isolation, Map.copyOf(methods), c.o().toString(), limits,
                basics.capabilities(), basics.functions());
    }

    /** @return the name {@code atrium_invoke} is called with for a contract method */
    public String nameFor(String method) {
        return methods.getOrDefault(method, method);
    }

    /** @return the library: its change deploys the plugin again */
    @Override
    public List<Path> ownFiles() {
        return List.of(library);
    }

    @Override
    public long callTimeoutMs() {
        return limits.callTimeoutMs();
    }

    @Override
    public boolean pinned() {
        return sha256 != null;
    }
}
