package io.atrium.api;

/** The plugin did not answer within its deadline. */
public class PluginTimeoutException extends PluginException {
    private static final long serialVersionUID = 1L;

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     * @param cause   the underlying cause, or null
     */
    public PluginTimeoutException(String plugin, String message, Throwable cause) {
        super(plugin, message, cause);
    }

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     */
    public PluginTimeoutException(String plugin, String message) {
        this(plugin, message, null);
    }
}
