package io.atrium.api.kv;

import io.atrium.api.PluginContract;
import org.osgi.annotation.versioning.ConsumerType;

/** Stores values by key, as go-plugin's gRPC example does ({@code Put} and {@code Get} of {@code proto.KV}). */
@PluginContract
@ConsumerType
public interface KV {
    /**
     * @param key   the key
     * @param value what to store under it
     */
    void put(String key, byte[] value);

    /**
     * @param key the key
     * @return what is stored under it
     */
    byte[] get(String key);
}
