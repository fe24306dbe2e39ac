package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import io.atrium.api.Invocable;
import io.atrium.transport.support.ManifestFields;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields every manifest has, read the same way for every transport, each failure one line naming
 * the field. A transport's parser reads these first, then its own.
 *
 * @param name            {@code name}, or the file name without the suffix
 * @param version         {@code version}, required
 * @param contract        {@code contract}, a fully qualified interface name; absent: {@link Invocable}, functions called by name
 * @param contractVersion {@code contractVersion}, an OSGi version range ({@code 0.0.0}: any)
 * @param capabilities    {@code capabilities}, e.g. {@code ["greet", "style;version=2"]}
 * @param functions       {@code functions}, for a plugin with no contract: the functions it declares (empty: what the
 *                        transport finds, if it can)
 */
public record ManifestBasics(String name, String version, String contract, String contractVersion, List<Capability> capabilities,
                             List<String> functions) {
    /** The top-level fields this record reads, for a transport's list of known fields. */
    public static final List<String> FIELDS = List.of("name", "version", "contract", "contractVersion", "capabilities", "functions", "description");

    /** The contract of a manifest that names none. */
    public static final String NO_CONTRACT = Invocable.class.getName();

    /** How long a function's name may be. */
    private static final int MAX_FUNCTION_NAME = 128;

    /**
     * @return whether the name may be a function's: a C-style identifier, as Extism's PDKs export them and a
     *         process plugin's methods are named (so never a protocol's own {@code atrium.} method)
     */
    public static boolean isFunctionName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_FUNCTION_NAME) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
            if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    /** @return whether the manifest names no contract of its own: its plugin is an {@link Invocable} */
    public boolean invocable() {
        return contract.equals(NO_CONTRACT);
    }

    /**
     * @param file   the manifest's path: its name gives the plugin's name unless the manifest does
     * @param f      the manifest's top-level fields
     * @param suffix the transport's manifest suffix, e.g. {@code .plugin.json}
     * @throws IllegalArgumentException one line naming the field at fault
     */
    public static ManifestBasics read(Path file, ManifestFields f, String suffix) {
        String fileName = file.getFileName().toString();
        String stem = fileName.endsWith(suffix) ? fileName.substring(0, fileName.length() - suffix.length()) : fileName;
        String name = f.string("name", stem);
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("field 'name': '" + name + "' is not a plugin name (letters, digits, '.', '_', '-')");
        }
        String version = f.required("version");
        String contract = f.string("contract", NO_CONTRACT);
        if (!ManifestFields.isQualifiedName(contract)) {
            throw new IllegalArgumentException("field 'contract': '" + contract + "' is not a fully qualified interface name");
        }
        List<Capability> caps = new ArrayList<>();
        for (String c : f.strings("capabilities", List.of())) {
            try {
                caps.add(Capability.parse(c));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("field 'capabilities': " + e.getMessage());
            }
        }
        List<String> functions = f.strings("functions", List.of());
        if (!functions.isEmpty() && !contract.equals(NO_CONTRACT)) {
            throw new IllegalArgumentException("field 'functions': only a plugin with no contract declares functions (the methods of "
                    + contract.substring(contract.lastIndexOf('.') + 1) + " are its functions); drop 'contract' or 'functions'");
        }
        for (String fn : functions) {
            if (!isFunctionName(fn)) {
                throw new IllegalArgumentException("field 'functions': '" + fn + "' is not a function name (letters, digits and '_', "
                        + "not starting with a digit, at most " + MAX_FUNCTION_NAME + ")");
            }
        }
        if (new java.util.HashSet<>(functions).size() != functions.size()) {
            throw new IllegalArgumentException("field 'functions': a function is listed twice");
        }
        return new ManifestBasics(name, version, contract, f.string("contractVersion", "0.0.0"), List.copyOf(caps), List.copyOf(functions));
    }
}
