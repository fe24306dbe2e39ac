package io.atrium.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Steers plugins by name, whatever their transport: what the shell's {@code plugin:reload},
 * {@code plugin:stop} and {@code plugin:start}, the HTTP API and the web console do. A service of
 * Atrium's core. A stop lasts until {@link #start} or the server's next start.
 */
@ProviderType
public interface PluginControl {

    /**
     * Starts the plugin afresh: a bundle is stopped and started, a process or module is replaced by a
     * new one once that answers.
     *
     * @param name a plugin name
     * @return the plugin's state afterwards
     * @throws IllegalArgumentException naming the plugin when there is no such plugin
     * @throws PluginException          naming the plugin when it cannot be reloaded
     */
    PluginState reload(String name);

    /**
     * @param name a plugin name
     * @return the plugin's state afterwards ({@link PluginState#STOPPED})
     * @throws IllegalArgumentException naming the plugin when there is no such plugin
     * @throws PluginException          naming the plugin when it cannot be stopped
     */
    PluginState stop(String name);

    /**
     * @param name a plugin name
     * @return the plugin's state afterwards (a process plugin may still be {@link PluginState#STARTING})
     * @throws IllegalArgumentException naming the plugin when there is no such plugin
     * @throws PluginException          naming the plugin when it cannot be started
     */
    PluginState start(String name);
}
