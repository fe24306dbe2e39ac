package io.atrium.spi;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where the core and the transports record what happens to plugins, and where metrics read it:
 * a service of Atrium's core, counting since the server started.
 */
@ProviderType
public interface PluginLifecycle {

    /**
     * @param plugin the plugin's name
     * @param event  what happened to it
     */
    void record(String plugin, LifecycleEvent event);

    /** @return by plugin name, how often each event happened (events that never did are absent) */
    Map<String, Map<LifecycleEvent, Long>> counts();
}
