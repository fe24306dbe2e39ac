package io.atrium.api;

/** The plugin was refused by the host (policy, handshake, capability or version). */
public class PluginRejectedException extends PluginException {
    private static final long serialVersionUID = 1L;

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     * @param cause   the underlying cause, or null
     */
    public PluginRejectedException(String plugin, String message, Throwable cause) {
        super(plugin, message, cause);
    }

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     */
    public PluginRejectedException(String plugin, String message) {
        this(plugin, message, null);
    }
}
