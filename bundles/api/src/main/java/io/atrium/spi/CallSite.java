package io.atrium.spi;

import io.atrium.api.Transport;
import java.util.Objects;

/**
 * One method of one plugin, as observed by a {@link CallObserver}.
 *
 * @param plugin    the plugin's name
 * @param version   its version when the site was made
 * @param transport how it runs
 * @param contract  the contract interface's fully qualified name
 * @param method    the contract method's name
 */
public record CallSite(String plugin, String version, Transport transport, String contract, String method) {
    public CallSite {
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(method, "method");
    }
}
