package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
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
 * @param contract        {@code contract}, a fully qualified interface name, required
 * @param contractVersion {@code contractVersion}, an OSGi version range ({@code 0.0.0}: any)
 * @param capabilities    {@code capabilities}, e.g. {@code ["greet", "style;version=2"]}
 */
public record ManifestBasics(String name, String version, String contract, String contractVersion, List<Capability> capabilities) {
    /** The top-level fields this record reads, for a transport's list of known fields. */
    public static final List<String> FIELDS = List.of("name", "version", "contract", "contractVersion", "capabilities", "description");

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
        String contract = f.required("contract");
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
        return new ManifestBasics(name, version, contract, f.string("contractVersion", "0.0.0"), List.copyOf(caps));
    }
}
