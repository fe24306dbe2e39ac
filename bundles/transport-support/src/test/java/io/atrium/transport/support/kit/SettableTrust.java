package io.atrium.transport.support.kit;

import io.atrium.spi.TransportTrust;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A trust policy the test sets, standing in for the core's (which lives in a bundle this library may
 * not depend on): only pins can be required; nothing is refused or must be signed.
 */
final class SettableTrust implements TransportTrust {
    private volatile Set<String> pinned = Set.of();
    private final AtomicLong generation = new AtomicLong();

    /** Requires pins of these transports' manifests from now on. */
    void requirePins(String... transports) {
        pinned = Set.of(transports);
        generation.incrementAndGet();
    }

    @Override
    public String transportRefusal(String transport) {
        return null;
    }

    @Override
    public boolean requiresSignedManifests(String transport) {
        return false;
    }

    @Override
    public boolean requiresPins(String transport) {
        return pinned.contains(transport);
    }

    @Override
    public boolean allowsLinksOutside() {
        return false;
    }

    @Override
    public String signatureRefusal(String transport, Path manifest, byte[] content) {
        return null;
    }

    @Override
    public long generation() {
        return generation.get();
    }
}
