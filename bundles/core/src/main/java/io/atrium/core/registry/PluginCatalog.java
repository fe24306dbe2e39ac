package io.atrium.core.registry;

import io.atrium.api.PluginDescriptor;
import java.util.Optional;
import org.osgi.framework.ServiceReference;

/** Core-internal view of the registry: the service behind a plugin, for those who call it. */
public interface PluginCatalog {

    /** A plugin with the reference to its service. */
    record Entry(PluginDescriptor descriptor, ServiceReference<?> reference) {
    }

    /**
     * @param name a plugin name
     * @return the plugin and its service reference, if registered
     */
    Optional<Entry> entry(String name);

    /**
     * @param name a plugin name
     * @return the transport that runs the plugin outside bundles (and can reload it), if one does
     */
    Optional<io.atrium.spi.PluginProvider> providerOf(String name);
}
