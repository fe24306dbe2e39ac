package io.atrium.core.trust;

import io.atrium.api.Capability;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;

/**
 * The capability policy (configuration {@code io.atrium.capabilities}), read here alone: the core
 * refuses a plugin service that lacks what its contract's consumers require, in the {@code
 * io.atrium.core.registry.PluginTracker} (when a plugin registers, and again for every plugin when the
 * policy changes: the tracker listens), and the transports ask the same verdict of the core's {@link
 * io.atrium.spi.TransportTrust} for the plugins they launch (its generation grows at every change).
 */
@Component(service = CapabilityRules.class, configurationPid = CapabilityPolicy.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class CapabilityRules {
    private volatile CapabilityPolicy policy;
    /** Grows at every change, once the new policy is in force: a verdict given under another number is stale. */
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();
    /** Told when the policy changes, so plugins already registered are examined again. */
    private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Activate
    public CapabilityRules(Map<String, Object> config) {
        modified(config);
    }

    /** @param config the configuration's new properties (public for the tracker's tests, which change the policy) */
    @Modified
    public void modified(Map<String, Object> config) {
        policy = CapabilityPolicy.of(config);
        generation.incrementAndGet();
        listeners.forEach(Runnable::run);
    }

    /** @param listener run after each change of the policy, on the configuration's thread */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** @param listener no longer told */
    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    /**
     * @return why a plugin of this contract declaring these capabilities is refused (one line), or null
     */
    public String refusal(String contract, List<Capability> declared) {
        return policy.refusal(contract, declared);
    }

    /** @return the rule for a contract, as the configuration would write it ({@code CONTRACT = a, b;version=2}), for the log */
    public String rule(String contract) {
        return policy.rule(contract);
    }

    /** @return a number that grows at every change of the policy */
    public long generation() {
        return generation.get();
    }
}
