package io.atrium.api;

import java.util.List;
import java.util.Objects;

/**
 * What Atrium knows about one plugin: a service of a contract interface.
 *
 * @param name         the plugin's name, unique in the server (e.g. {@code english})
 * @param version      the plugin's version (a bundle's version for in-process plugins)
 * @param contract     the fully qualified name of the contract interface
 * @param transport    how the implementation runs
 * @param capabilities what the plugin declares it supports
 * @param state        where the plugin is in its life
 * @param bundleId     the id of the bundle that registered the service
 * @param source       where the plugin comes from: a bundle symbolic name, or a manifest file
 */
public record PluginDescriptor(
        String name,
        String version,
        String contract,
        Transport transport,
        List<Capability> capabilities,
        PluginState state,
        long bundleId,
        String source) {

    public PluginDescriptor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(source, "source");
        capabilities = List.copyOf(capabilities);
    }

    /** @return the contract's simple name, e.g. {@code Greeter} */
    public String contractSimpleName() {
        return contract.substring(contract.lastIndexOf('.') + 1);
    }

    /** @return true when the plugin declares a capability satisfying {@code required} */
    public boolean has(Capability required) {
        return capabilities.stream().anyMatch(c -> c.satisfies(required));
    }
}
