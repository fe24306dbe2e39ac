package io.atrium.core.trust;

import io.atrium.api.Capability;
import io.atrium.spi.TransportTrust;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The trust and capability policies as the transports ask them: the configuration {@link TrustPolicy}
 * read, the trust store as its one watcher keeps it, and the capability policy {@link CapabilityRules}
 * read. Registered by hand, not by DS, so that its {@link TransportTrust#GENERATION} property can follow
 * every change of either, and the transports' {@code updated} methods are told instead of each polling
 * the files or reading the configurations. Declared as a capability, so the resolver knows who provides
 * the service the transports require.
 */
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=io.atrium.spi.TransportTrust",
        uses = TransportTrust.class)
final class TransportTrustService implements TransportTrust {
    private final java.util.function.Supplier<TransportRules> rules;
    private final java.util.function.Supplier<TrustStore> store;
    private final java.util.function.LongSupplier generation;
    private final CapabilityRules capabilities;
    /** Where the property is changed: the transports are told on one thread, in order, never under a caller's lock. */
    private final Executor announcer;
    private volatile ServiceRegistration<TransportTrust> registration;

    /**
     * @param rules      what the configuration says of transports, as read last
     * @param store      the trust store and revocation lists as their files are now
     * @param generation   the trust policy's generation
     * @param capabilities the capability policy; its changes are announced too ({@link #changed()})
     * @param announcer    where the property is changed
     */
    TransportTrustService(java.util.function.Supplier<TransportRules> rules, java.util.function.Supplier<TrustStore> store,
                          java.util.function.LongSupplier generation, CapabilityRules capabilities, Executor announcer) {
        this.rules = rules;
        this.store = store;
        this.generation = generation;
        this.capabilities = capabilities;
        this.announcer = announcer;
    }

    void register(BundleContext context) {
        registration = context.registerService(TransportTrust.class, this, properties());
    }

    void unregister() {
        ServiceRegistration<TransportTrust> r = registration;
        registration = null;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the core stopping: unregistered with it
            }
        }
    }

    /** A policy changed (the trust policy, its files, or the capability policy): the property follows, on the announcer's thread. */
    void changed() {
        try {
            announcer.execute(() -> {
                ServiceRegistration<TransportTrust> r = registration;
                if (r != null) {
                    try {
                        r.setProperties(properties());
                    } catch (IllegalStateException gone) {
                        // unregistered meanwhile
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the policy is being deactivated: the service goes with it
        }
    }

    private Hashtable<String, Object> properties() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(GENERATION, generation());
        return p;
    }

    @Override
    public String transportRefusal(String transport) {
        return rules.get().refusal(transport);
    }

    @Override
    public boolean requiresSignedManifests(String transport) {
        return rules.get().signs(transport);
    }

    @Override
    public boolean requiresPins(String transport) {
        return rules.get().pins(transport);
    }

    @Override
    public boolean allowsLinksOutside() {
        return rules.get().linksOutside();
    }

    @Override
    public String signatureRefusal(String transport, Path manifest, byte[] content) {
        return store.get().manifestRefusal(manifest, content, requiresSignedManifests(transport));
    }

    @Override
    public String capabilityRefusal(String contract, List<Capability> declared) {
        return capabilities.refusal(contract, declared);
    }

    @Override
    public String capabilityRule(String contract) {
        return capabilities.rule(contract);
    }

    /** Both policies' numbers only grow, each once its change is in force: their sum grows at a change of either. */
    @Override
    public long generation() {
        return generation.getAsLong() + capabilities.generation();
    }
}
