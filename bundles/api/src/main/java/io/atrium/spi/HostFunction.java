package io.atrium.spi;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A function that WASM plugins may import, in Extism's way: register one as an OSGi service (any
 * bundle, e.g. a DS component) and every wasm plugin whose module imports {@link #namespace()}
 * {@code ::}{@link #name()} with this {@link #params() signature} gets it. A module importing a
 * function that no service provides is refused in one line naming it, and is deployed by itself once
 * a service providing it appears (for a namespace other than {@value #USER}: once some service has
 * declared that namespace; before, the module is refused as importing what Atrium does not provide).
 *
 * <p>The function runs on the calling plugin call's thread, inside the call: its time counts in the
 * call's time and its deadline. Past the deadline the thread is interrupted; a function that blocks
 * should let an interrupt end it (an {@link InterruptedException} thrown), since the call cannot end
 * before the function returns. Any exception fails the call with a message naming the plugin and the
 * function, and the instance is discarded.
 *
 * @since 1.4
 */
@ConsumerType
public interface HostFunction {
    /** The namespace Extism's PDKs import user host functions from. */
    String USER = "extism:host/user";

    /** A WebAssembly value type, as a parameter or a result. */
    enum Type {
        I32, I64, F32, F64
    }

    /**
     * Asked once, with {@link #name} and the signature, when the service registers.
     *
     * @return the import module the function is found in; {@value #USER} by default (never Atrium's
     *         own {@code extism:host/env} or {@code wasi_snapshot_preview1}: such a service is ignored)
     */
    default String namespace() {
        return USER;
    }

    /** @return the function's import name, e.g. {@code hello_world} */
    String name();

    /** @return the types of its parameters, in order */
    List<Type> params();

    /** @return the types of its results, in order (none or one in Extism's PDKs) */
    List<Type> results();

    /**
     * Runs the function for one call of a plugin.
     *
     * @param call the plugin call it runs in: the plugin's name and its Extism memory
     * @param args the arguments, one per parameter: integers as they are (an i32 in the low 32 bits),
     *             floats as their raw bits ({@link Float#intBitsToFloat}, {@link Double#longBitsToDouble})
     * @return the results, one per result type, encoded as the arguments are
     * @throws Exception to fail the call; its message is part of the call's error
     */
    long[] call(Call call, long... args) throws Exception;

    /**
     * The plugin call a host function runs in. Extism's host functions take and return strings and
     * bytes as offsets of blocks of Extism memory: {@link #read} the block an argument names, and
     * {@link #store} a result to return its offset. Valid only during {@link HostFunction#call} and on
     * its thread: kept and used later, or from another thread, {@code read} and {@code store} throw
     * {@link IllegalStateException} (Extism memory is the call's, and not thread-safe).
     */
    @ProviderType
    interface Call {
        /** @return the name of the plugin whose call this is */
        String plugin();

        /**
         * @param offset a block's offset, as the plugin passed it
         * @return a copy of the block's bytes; none for offset 0 (Extism's "none", as {@link #store} returns for no bytes)
         * @throws IllegalArgumentException when no block starts at {@code offset}
         */
        byte[] read(long offset);

        /**
         * @param bytes what to put in Extism memory
         * @return the offset of a new block holding them (0 for no bytes, as Extism's kernel answers)
         * @throws IllegalArgumentException when Extism memory has no room for them
         */
        long store(byte[] bytes);

        /** @return the block at {@code offset} as UTF-8 text; see {@link #read} */
        default String readString(long offset) {
            return new String(read(offset), StandardCharsets.UTF_8);
        }

        /** @return the offset of a new block holding {@code text} in UTF-8; see {@link #store(byte[])} */
        default long store(String text) {
            return store(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
