package io.atrium.spi;

import io.atrium.api.PluginDescriptor;
import java.util.Objects;

/**
 * One method of one plugin, as observed by a {@link CallObserver}.
 *
 * @param plugin      the plugin's name
 * @param version     its version when the site was made
 * @param transportId the id of the transport that runs it (see {@link PluginDescriptor#transportId()}); since 1.4
 * @param contract    the contract interface's fully qualified name
 * @param method      the contract method's name
 */
public record CallSite(String plugin, String version, String transportId, String contract, String method) {
    public CallSite {
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(version, "version");
        PluginDescriptor.checkTransportId(transportId);
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(method, "method");
    }

    /**
     * The constructor of 1.0–1.3.
     *
     * @deprecated since 1.4: use the canonical constructor, with the transport's id
     */
    @Deprecated(since = "1.4")
    public CallSite(String plugin, String version, io.atrium.api.Transport transport, String contract, String method) {
        this(plugin, version, Objects.requireNonNull(transport, "transport").id(), contract, method);
    }

    /**
     * @return the transport as the enum of 1.0–1.3 ({@link io.atrium.api.Transport#OTHER} for one it does not name)
     * @deprecated since 1.4: use {@link #transportId()}
     */
    @Deprecated(since = "1.4")
    public io.atrium.api.Transport transport() {
        return io.atrium.api.Transport.forId(transportId);
    }
}
