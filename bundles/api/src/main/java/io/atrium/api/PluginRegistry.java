package io.atrium.api;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The read-only view of every plugin in the server, whatever its transport. Provided by
 * Atrium as an OSGi service; obtain the plugin's service itself through the OSGi registry
 * (a DS {@code @Reference} to the contract interface) as with any other service.
 */
@ProviderType
public interface PluginRegistry {

    /** @return every plugin, sorted by name */
    List<PluginDescriptor> plugins();

    /**
     * @param name a plugin name
     * @return the plugin with that name, if there is one
     */
    Optional<PluginDescriptor> plugin(String name);

    /**
     * @param contract the fully qualified name of a contract interface
     * @return the plugins implementing it, sorted by name
     */
    List<PluginDescriptor> pluginsFor(String contract);

    /** @return plugins that failed to resolve, start or register, one reason each */
    List<PluginProblem> problems();

    /**
     * Registers a listener; it is first told about every plugin already registered.
     *
     * @param listener the listener
     * @return closing it removes the listener
     */
    AutoCloseable addListener(PluginListener listener);
}
