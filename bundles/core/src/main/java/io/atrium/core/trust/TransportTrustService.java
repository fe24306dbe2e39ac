package io.atrium.core.trust;

import io.atrium.spi.TransportTrust;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.concurrent.Executor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The trust policy as the transports ask it: the configuration {@link TrustPolicy} read, and the trust
 * store as its one watcher keeps it. Registered by hand, not by DS, so that its {@link
 * TransportTrust#GENERATION} property can follow every change, and the transports' {@code updated}
 * methods are told instead of each polling the files. Declared as a capability, so the resolver knows
 * who provides the service the transports require.
 */
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=io.atrium.spi.TransportTrust",
        uses = TransportTrust.class)
final class TransportTrustService implements TransportTrust {
    private final java.util.function.Supplier<TransportRules> rules;
    private final java.util.function.Supplier<TrustStore> store;
    private final java.util.function.LongSupplier generation;
    /** Where the property is changed: the transports are told on one thread, in order, never under a caller's lock. */
    private final Executor announcer;
    private volatile ServiceRegistration<TransportTrust> registration;

    /**
     * @param rules      what the configuration says of transports, as read last
     * @param store      the trust store and revocation lists as their files are now
     * @param generation the policy's generation
     * @param announcer  where the property is changed
     */
    TransportTrustService(java.util.function.Supplier<TransportRules> rules, java.util.function.Supplier<TrustStore> store,
                          java.util.function.LongSupplier generation, Executor announcer) {
        this.rules = rules;
        this.store = store;
        this.generation = generation;
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

    /** The policy changed: the property follows, on the announcer's thread. */
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
        p.put(GENERATION, generation.getAsLong());
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
    public long generation() {
        return generation.getAsLong();
    }
}
