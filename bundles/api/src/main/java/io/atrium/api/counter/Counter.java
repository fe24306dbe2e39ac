package io.atrium.api.counter;

import io.atrium.api.PluginContract;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Counts by key, as go-plugin's bidirectional example does ({@code Put} and {@code Get} of
 * {@code proto.Counter}): a {@code put} adds to the count through an {@link AddHelper} the caller
 * passes, which the plugin calls back while the put runs.
 */
@PluginContract
@ConsumerType
public interface Counter {
    /**
     * Adds {@code value} to the count under {@code key}, the sum made by the caller's helper.
     *
     * @param key       the key
     * @param value     what to add
     * @param addServer the helper the plugin calls back to add (the request's {@code add_server}: the id the host serves it under)
     */
    void put(String key, long value, AddHelper addServer);

    /**
     * @param key the key
     * @return the count under it
     */
    long get(String key);
}
