package io.atrium.api;

import org.osgi.annotation.versioning.ConsumerType;

/** Told about plugins coming, changing and going; see {@link PluginRegistry#addListener}. */
@ConsumerType
@FunctionalInterface
public interface PluginListener {
    /**
     * Called synchronously, in order, for each change. Keep it short: it runs on the thread
     * that changed the plugin.
     *
     * @param event the change
     */
    void pluginChanged(PluginEvent event);
}
