package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import io.atrium.spi.TransportTrust;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A trust and capability policy the test sets, standing in for the core's (which lives in a bundle this
 * library may not depend on): only pins and capabilities can be required; nothing is refused otherwise
 * or must be signed.
 */
final class SettableTrust implements TransportTrust {
    private volatile Set<String> pinned = Set.of();
    private volatile Map<String, List<Capability>> required = Map.of();
    private final AtomicLong generation = new AtomicLong();
    /** Run once, after the next capability verdict is made and before it is given: what may happen meanwhile. */
    final java.util.concurrent.atomic.AtomicReference<Runnable> afterNextVerdict = new java.util.concurrent.atomic.AtomicReference<>();

    /** Requires pins of these transports' manifests from now on. */
    void requirePins(String... transports) {
        pinned = Set.of(transports);
        generation.incrementAndGet();
    }

    /** Requires these capabilities of every plugin of the contract from now on (none: requires nothing). */
    void requireCapabilities(String contract, String... capabilities) {
        required = Map.of(contract, Stream.of(capabilities).map(Capability::parse).toList());
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

    /** Worded as the core's policy words it, which the kit passes on. */
    @Override
    public String capabilityRefusal(String contract, List<Capability> declared) {
        List<String> missing = required.getOrDefault(contract, List.of()).stream()
                .filter(need -> declared.stream().noneMatch(c -> c.satisfies(need))).map(Capability::toString).toList();
        Runnable meanwhile = afterNextVerdict.getAndSet(null);
        if (meanwhile != null) {
            meanwhile.run();
        }
        return missing.isEmpty() ? null : "lacks the capabilit" + (missing.size() == 1 ? "y " : "ies ") + String.join(", ", missing)
                + ", which the configuration io.atrium.capabilities requires of every " + contract.substring(contract.lastIndexOf('.') + 1);
    }

    @Override
    public String capabilityRule(String contract) {
        return contract + " = " + String.join(", ", required.getOrDefault(contract, List.of()).stream().map(Capability::toString).toList());
    }

    @Override
    public long generation() {
        return generation.get();
    }
}
