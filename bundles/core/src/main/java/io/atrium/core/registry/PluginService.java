package io.atrium.core.registry;

import io.atrium.api.PluginDescriptor;
import org.osgi.framework.ServiceReference;

/**
 * A service as the {@link PluginTracker} classified it: whether it is a plugin, what it declares, and
 * whether the core admits it.
 *
 * @param reference  the service
 * @param contract   the contract interface it is registered under, or null when it is no plugin
 * @param foreignApi whether that contract comes from a copy of the API the plugin embeds (consumers wired
 *                   to the server's API never see it, so it is not hidden behind a facade either)
 * @param name       the plugin's name
 * @param source     where it comes from
 * @param descriptor what the registry lists, or null when its properties cannot describe it
 * @param refusal    why the core refuses it, one line after its name ({@code is refused: …}), or null when admitted
 */
public record PluginService(ServiceReference<?> reference, String contract, boolean foreignApi, String name, String source,
                            PluginDescriptor descriptor, String refusal) {

    static final PluginService NOT_A_PLUGIN = new PluginService(null, null, false, null, null, null, null);

    /** @return whether it is registered under a contract: a plugin, admitted or refused */
    public boolean isPlugin() {
        return contract != null;
    }

    /** @return whether it is a plugin's own implementation, hidden behind a facade from all but the core and its bundle */
    public boolean backing() {
        return contract != null && !foreignApi;
    }

    /** @return whether the core admits it: the registry lists it and consumers get a facade of it */
    public boolean admitted() {
        return backing() && refusal == null;
    }

    PluginService refused(String why) {
        return new PluginService(reference, contract, foreignApi, name, source, descriptor, why);
    }
}
