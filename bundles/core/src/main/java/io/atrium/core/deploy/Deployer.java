package io.atrium.core.deploy;

import java.util.List;

/** Core-internal: what the shell (and later the HTTP API) asks of the plugin folder's deployer. */
public interface Deployer {

    /** @return every file of the plugin folder and every plugin installed from elsewhere, by file name */
    List<Deployment> deployments();

    /**
     * Installs and starts a plugin bundle from a path or URL, outside the folder.
     *
     * @return what became of it
     * @throws IllegalArgumentException with a one-line reason when it cannot be read or installed
     */
    Deployment install(String pathOrUrl);

    /** Reads the plugin's file (or source) again and updates its bundle in place. */
    Deployment update(long bundleId);

    /** Uninstalls a plugin installed with {@link #install}; folder plugins go away when their file does. */
    void uninstall(long bundleId);

    /** Stops and starts the plugin's bundle, so its components start afresh. */
    Deployment reload(long bundleId);

    /**
     * Starts a bundle (transiently, as every plugin start), for {@code plugin:start} given a bundle.
     *
     * @throws IllegalArgumentException with a one-line reason
     */
    Deployment start(long bundleId);

    /**
     * Stops a bundle until it is started again or the server's next start, for {@code plugin:stop} given a bundle.
     *
     * @throws IllegalArgumentException with a one-line reason
     */
    Deployment stop(long bundleId);
}
