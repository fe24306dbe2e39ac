package io.atrium.api;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What Atrium knows about one plugin: a service of a contract interface.
 *
 * @param name         the plugin's name, unique in the server (e.g. {@code english})
 * @param version      the plugin's version (a bundle's version for in-process plugins)
 * @param contract     the fully qualified name of the contract interface
 * @param transportId  how the implementation runs: the id its transport declares, lower-case letters,
 *                     digits and {@code -} (e.g. {@code in-process}, {@code process}, {@code wasm}); since 1.3
 * @param capabilities what the plugin declares it supports
 * @param state        where the plugin is in its life
 * @param bundleId     the id of the bundle that registered the service
 * @param source       where the plugin comes from: a bundle symbolic name, or a manifest file
 */
public record PluginDescriptor(
        String name,
        String version,
        String contract,
        String transportId,
        List<Capability> capabilities,
        PluginState state,
        long bundleId,
        String source) {

    private static final Pattern TRANSPORT_ID = Pattern.compile("[a-z0-9-]+");

    /** @throws IllegalArgumentException naming the value when {@code transportId} is not a transport id */
    public PluginDescriptor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(contract, "contract");
        checkTransportId(transportId);
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(source, "source");
        capabilities = List.copyOf(capabilities);
    }

    /**
     * The constructor of 1.0–1.2, for plugins built against them.
     *
     * @deprecated since 1.3: use the canonical constructor, with the transport's id
     */
    @Deprecated(since = "1.3")
    public PluginDescriptor(String name, String version, String contract, Transport transport, List<Capability> capabilities,
                            PluginState state, long bundleId, String source) {
        this(name, version, contract, Objects.requireNonNull(transport, "transport").id(), capabilities, state, bundleId, source);
    }

    /**
     * @param transportId a transport id, e.g. from the {@link PluginProperties#TRANSPORT} property
     * @return the id
     * @throws IllegalArgumentException in one line naming the value when it is not lower-case letters,
     *         digits and {@code -}. Since 1.3.
     */
    public static String checkTransportId(String transportId) {
        Objects.requireNonNull(transportId, "transportId");
        if (!TRANSPORT_ID.matcher(transportId).matches()) {
            throw new IllegalArgumentException("transport id '" + transportId + "' is not lower-case letters, digits and '-'");
        }
        return transportId;
    }

    /**
     * @return the transport as the enum of 1.0–1.2: {@link Transport#OTHER} for a transport it does not name
     * @deprecated since 1.3: use {@link #transportId()}
     */
    @Deprecated(since = "1.3")
    public Transport transport() {
        return Transport.forId(transportId);
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
