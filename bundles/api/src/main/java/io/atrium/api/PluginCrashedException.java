package io.atrium.api;

/** The plugin crashed during the call (its process or instance died). */
public class PluginCrashedException extends PluginException {
    private static final long serialVersionUID = 1L;

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     * @param cause   the underlying cause, or null
     */
    public PluginCrashedException(String plugin, String message, Throwable cause) {
        super(plugin, message, cause);
    }

    /**
     * @param plugin  the plugin's name
     * @param message what went wrong, one line
     */
    public PluginCrashedException(String plugin, String message) {
        this(plugin, message, null);
    }
}
