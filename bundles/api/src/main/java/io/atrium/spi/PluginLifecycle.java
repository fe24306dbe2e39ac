package io.atrium.spi;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where the core and the transports record what happens to plugins, and where metrics, the shell
 * and the HTTP API read it: a service of Atrium's core, counting since the server started.
 */
@ProviderType
public interface PluginLifecycle {

    /**
     * @param plugin the plugin's name
     * @param event  what happened to it
     */
    void record(String plugin, LifecycleEvent event);

    /**
     * Records an event with its one-line reason; a {@link LifecycleEvent#CRASH crash}'s or a
     * {@link LifecycleEvent#FAIL failure}'s becomes the plugin's {@link #lastErrors() last error}.
     *
     * @param plugin the plugin's name
     * @param event  what happened to it
     * @param reason why, e.g. {@code exited with status 3}
     * @since 1.2
     */
    void record(String plugin, LifecycleEvent event, String reason);

    /** @return by plugin name, how often each event happened (events that never did are absent) */
    Map<String, Map<LifecycleEvent, Long>> counts();

    /**
     * @return by plugin name, its last crash or failure since the server started (kept after it is
     *         running again, dropped with its uninstall); plugins that never had one are absent
     * @since 1.2
     */
    Map<String, LastError> lastErrors();

    /**
     * A plugin's last crash or failure.
     *
     * @param event  {@link LifecycleEvent#CRASH} or {@link LifecycleEvent#FAIL}
     * @param reason one line, as the supervisor logged it
     * @param at     when it happened
     * @since 1.2
     */
    record LastError(LifecycleEvent event, String reason, Instant at) {
        public LastError {
            Objects.requireNonNull(event, "event");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }
}
