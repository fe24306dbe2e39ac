package io.atrium.api;

/**
 * Base of the typed failures a plugin call can end in, besides the contract's own exceptions.
 * Always names the plugin, so a log line or a shell error says which one failed.
 */
public class PluginException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String plugin;
    private final String reason;

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     * @param cause   the underlying cause, or null
     */
    public PluginException(String plugin, String message, Throwable cause) {
        super("plugin '" + plugin + "': " + message, cause);
        this.plugin = plugin;
        this.reason = message;
    }

    /** @return the name of the plugin the failure belongs to */
    public String plugin() {
        return plugin;
    }

    /** @return what went wrong, without the plugin's name in front (the message is "plugin 'NAME': " and this) */
    public String reason() {
        return reason;
    }
}
