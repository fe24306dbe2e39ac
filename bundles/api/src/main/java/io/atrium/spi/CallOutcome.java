package io.atrium.spi;

import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import java.util.Locale;

/** How a plugin call ended: the {@code status} label of Atrium's call metrics and spans. */
public enum CallOutcome {
    /** Returned normally. */
    SUCCESS,
    /** The plugin threw (an exception of the contract, a bug, a rejected argument of the plugin's own). */
    ERROR,
    /** The plugin did not answer within its deadline ({@link PluginTimeoutException}). */
    TIMEOUT,
    /** The plugin's process or instance died during the call ({@link PluginCrashedException}). */
    CRASH,
    /** There was no implementation to call ({@link PluginUnavailableException}). */
    UNAVAILABLE,
    /** Atrium refused the call before the plugin saw it ({@link PluginRejectedException}): too large, not allowed. */
    REJECTED;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** @return the label used in metrics and spans, e.g. {@code timeout} */
    public String label() {
        return label;
    }

    /**
     * @param failure what a call threw, or null
     * @return the outcome it stands for
     */
    public static CallOutcome of(Throwable failure) {
        if (failure == null) {
            return SUCCESS;
        }
        if (failure instanceof PluginTimeoutException) {
            return TIMEOUT;
        }
        if (failure instanceof PluginCrashedException) {
            return CRASH;
        }
        if (failure instanceof PluginUnavailableException) {
            return UNAVAILABLE;
        }
        if (failure instanceof PluginRejectedException) {
            return REJECTED;
        }
        return ERROR;
    }
}
