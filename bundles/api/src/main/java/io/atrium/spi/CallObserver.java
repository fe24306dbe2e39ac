package io.atrium.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Watches the calls made to plugins through Atrium, whatever their transport: metrics, traces.
 * Register it as an OSGi service. Every consumer's call passes the plugin's facade, which asks each
 * observer once per plugin method for a {@link MethodObserver} and then tells it about every call
 * of that method; no code in the plugin or its consumers is involved. The core gets an observer only
 * when a plugin is first called, so an observer bundle costs nothing at start-up.
 */
@ConsumerType
public interface CallObserver {

    /**
     * @param site the plugin method about to be called for the first time (or again after the
     *             plugin's implementation was swapped, e.g. for a new version)
     * @return what to tell about that method's calls, or null to ignore them
     */
    MethodObserver observe(CallSite site);
}
