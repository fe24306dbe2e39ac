package io.atrium.transport.support.kit;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import java.util.Map;

/**
 * One deployed plugin of a transport built on {@link ManifestTransport}: what the kit asks of it. How it
 * starts an instance, supervises it, reloads it and makes calls is the transport's (see
 * {@link ManifestTransport#reload(KitPlugin)} and the other hooks there).
 *
 * @param <M> the transport's manifest
 */
public interface KitPlugin<M extends KitManifest> {

    /** What {@link #prepare} made ready, not yet the plugin's: committed, or discarded. */
    interface Staged {
        /** Drops what was made ready (a deployment lost a race, or a newer one came). */
        void discard();
    }

    /** @return the manifest in force */
    M manifest();

    /** @return the contract interface its proxy implements */
    Class<?> contract();

    /** @return the plugin's name */
    default String name() {
        return manifest().name();
    }

    /**
     * Makes ready what deploying this manifest needs, holding no lock (a module loaded and its start code
     * run); nothing by default, for a plugin that starts in the background.
     *
     * @throws IllegalArgumentException one line naming what is wrong; the plugin's running instance keeps running
     */
    default Staged prepare(M next) {
        return () -> { };
    }

    /**
     * Makes the prepared manifest the plugin's, under the transport's lock. For a new plugin this comes
     * before it is listed; {@link ManifestTransport#started} then starts it.
     *
     * @param update whether the plugin ran an earlier manifest (then it is replaced live)
     */
    void commit(Staged staged, M next, boolean update);

    /**
     * Makes the manifest the plugin's while an operator has it stopped, under the transport's lock: nothing
     * starts, and its next start runs this manifest.
     */
    void adopt(M next);

    /** @return the plugin as the registry lists it */
    PluginDescriptor descriptor();

    /** @return why it is not active (failed, refused, restarting), or null */
    PluginProblem problem();

    /** @return the transport's facts for {@code plugin:info}, in display order (the kit adds the call timeout) */
    Map<String, String> details();

    /** Withdraws the service and stops the instances, until the plugin is started again. */
    void stop();
}
