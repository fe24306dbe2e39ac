package io.atrium.api.counter;

import org.osgi.annotation.versioning.ConsumerType;

/** Adds two numbers, for a {@link Counter}: implemented by the caller, called back by the plugin ({@code proto.AddHelper}). */
@ConsumerType
@FunctionalInterface
public interface AddHelper {
    /**
     * @param a one number
     * @param b the other
     * @return their sum
     */
    long sum(long a, long b);
}
