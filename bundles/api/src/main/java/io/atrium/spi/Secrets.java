package io.atrium.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Secret configuration properties (a trust store's password, the HTTP API's token) kept out of
 * Config Admin: where such a property is set, by a file of the plugin folder or through Config
 * Admin itself, the core keeps its value in a file only the server's user can read and leaves in
 * the configuration a placeholder ({@code <secret #3>}), so that no shell command listing
 * configurations or component properties, no log line and no API shows it. Components that need
 * the value ask this service for it. A service of Atrium's core.
 *
 * @since 1.3
 */
@ProviderType
public interface Secrets {

    /**
     * @param pid   the configuration's PID (or factory PID)
     * @param key   the property's name
     * @param value the property's value as the configuration holds it, or null
     * @return the secret a placeholder stands for; any other value as a string (null stays null)
     */
    String reveal(String pid, String key, Object value);
}
