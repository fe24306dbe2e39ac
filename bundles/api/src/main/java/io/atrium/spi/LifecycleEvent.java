package io.atrium.spi;

import java.util.Locale;

/** What happened to a plugin: the {@code event} label of {@code plugin_lifecycle_events_total}. */
public enum LifecycleEvent {
    /** Deployed for the first time in this server's life. */
    INSTALL,
    /** Replaced by another version (a new jar, a changed manifest or module). */
    UPDATE,
    /** Removed (its file deleted, its bundle uninstalled). */
    UNINSTALL,
    /** Became callable again after a stop. */
    START,
    /** Stopped being callable (an operator's stop, its bundle stopping). */
    STOP,
    /** Reloaded on request. */
    RELOAD,
    /** Its process or instance died, or stopped answering and was killed. */
    CRASH,
    /** Started again by its supervisor after a crash. */
    RESTART,
    /** Given up on: too many crashes, or refused at launch. */
    FAIL;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** @return the label used in metrics, e.g. {@code crash} */
    public String label() {
        return label;
    }
}
