package io.atrium.spi;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A transport that runs plugins outside bundles (processes, WASM modules). While such a plugin is
 * callable it is also an ordinary service of its contract; this interface adds what a service
 * cannot say: plugins that are starting, restarting, failed or stopped, why, and how to reload one.
 * Register it as an OSGi service; the registry merges it into {@code plugins()} and {@code problems()}.
 */
@ConsumerType
public interface PluginProvider {

    /** @return every plugin of this transport, in whatever state */
    List<PluginDescriptor> plugins();

    /** @return this transport's plugins that failed, one reason each */
    List<PluginProblem> problems();

    /**
     * @param name a plugin name
     * @return facts for {@code plugin:info} (process id, restarts, limits…), in display order;
     *         empty when the plugin is not this transport's
     */
    Map<String, String> details(String name);

    /**
     * Starts a new instance of the plugin, moves new calls to it once it is ready, lets calls in
     * flight finish on the old one, then stops the old one. Returns once the new instance answers
     * (or failed).
     *
     * @param name a plugin name
     * @return true when the plugin is this transport's (whether or not the reload succeeded)
     * @throws io.atrium.api.PluginException naming the plugin when the new instance fails to start
     */
    boolean reload(String name);

    /**
     * Stops the plugin until {@link #start} (or the server's next start): its service is withdrawn,
     * its process or instances end, and it stays listed as stopped.
     *
     * @param name a plugin name
     * @return true when the plugin is this transport's
     * @since 1.1
     */
    default boolean stop(String name) {
        return false;
    }

    /**
     * Starts a plugin {@link #stop stopped} by an operator; returns once it is starting (a process
     * plugin's handshake may follow).
     *
     * @param name a plugin name
     * @return true when the plugin is this transport's
     * @throws io.atrium.api.PluginException naming the plugin when it cannot start
     * @since 1.1
     */
    default boolean start(String name) {
        return false;
    }
}
