package io.atrium.spi;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProperties;
import java.util.Objects;

/**
 * One method of one plugin, as observed by a {@link CallObserver}.
 *
 * @param plugin      the plugin's name
 * @param version     its version when the site was made
 * @param transportId the id of the transport that runs it (see {@link PluginDescriptor#transportId()}); since 1.4
 * @param contract    the contract interface's fully qualified name
 * @param method      the contract method's name
 * @param carriesTraceContext whether its transport hands each call's trace context across its boundary ({@link CallTrace}:
 *                    a process or gRPC plugin receives it), so that even a call that is not sampled needs trace ids;
 *                    an interpreter or a sandbox in the server's JVM does not (see {@link PluginProperties#TRACE_CONTEXT}); since 1.6
 */
public record CallSite(String plugin, String version, String transportId, String contract, String method, boolean carriesTraceContext) {
    public CallSite {
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(version, "version");
        PluginDescriptor.checkTransportId(transportId);
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(method, "method");
    }

    /**
     * The canonical constructor of 1.4–1.5: a plugin of any transport but {@link PluginProperties#IN_PROCESS} is
     * taken to carry the trace context, as 1.5 took it.
     */
    public CallSite(String plugin, String version, String transportId, String contract, String method) {
        this(plugin, version, transportId, contract, method, !PluginProperties.IN_PROCESS.equals(transportId));
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
