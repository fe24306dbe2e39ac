package io.atrium.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The numbers of the calls made to plugins through Atrium since the server started, per plugin
 * method, whatever the transport: what {@code plugin:stats}, the web console and the HTTP API show.
 * A service, present while Atrium's observability bundle runs.
 */
@ProviderType
public interface PluginStatistics {

    /** @return one row per plugin method called at least once, ordered by plugin then method */
    List<CallStatistics> methods();

    /**
     * @param plugin a plugin name
     * @return the plugin's calls over all its methods (method {@code "*"}); zeros when never called
     */
    CallStatistics plugin(String plugin);
}
