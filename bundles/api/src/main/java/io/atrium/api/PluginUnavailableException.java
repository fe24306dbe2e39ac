package io.atrium.api;

/** The plugin is not available (not registered, stopped or restarting). */
public class PluginUnavailableException extends PluginException {
    private static final long serialVersionUID = 1L;

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     * @param cause   the underlying cause, or null
     */
    public PluginUnavailableException(String plugin, String message, Throwable cause) {
        super(plugin, message, cause);
    }

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     */
    public PluginUnavailableException(String plugin, String message) {
        this(plugin, message, null);
    }
}
