package io.atrium.core.trust;

import io.atrium.api.Capability;
import io.atrium.transport.support.CapabilityPolicy;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;

/**
 * The capability policy (configuration {@code io.atrium.capabilities}) for plugin services: the core
 * refuses a plugin service that lacks what its contract's consumers require. Applied in one place, the
 * {@code io.atrium.core.registry.PluginTracker}: when a plugin registers, and again for every plugin when
 * the policy changes (the tracker listens).
 */
@Component(service = CapabilityRules.class, configurationPid = CapabilityPolicy.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class CapabilityRules {
    private volatile CapabilityPolicy policy;
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
}
