package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginState;
import io.atrium.transport.support.ContractProxy;
import io.atrium.transport.support.DeployedPlugins;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Supplier;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A plugin's proxy of its contract and its registration as a service of it: registered while the plugin
 * answers, its properties updated on a redeploy, withdrawn when it stops. Thread-safe.
 */
public final class PluginService {
    private final BundleContext context;
    private final String transport;
    private final boolean carriesTraceContext;
    private final Class<?> contract;
    private final Object proxy;
    /** Guarded by this. */
    private ServiceRegistration<?> registration;
    /** The properties registered, guarded by this. */
    private Hashtable<String, Object> registered;

    /**
     * @param context   the transport's bundle context, which registers the service
     * @param transport the transport's id, e.g. {@code process}
     * @param carriesTraceContext whether its calls hand the plugin their trace context ({@link PluginProperties#TRACE_CONTEXT})
     * @param contract  the contract interface
     * @param name      the plugin's name now, for the proxy's {@code toString}
     * @param calls     where the contract's calls go
     */
    public PluginService(BundleContext context, String transport, boolean carriesTraceContext, Class<?> contract, Supplier<String> name,
                         ContractProxy.Calls calls) {
        this.context = context;
        this.transport = transport;
        this.carriesTraceContext = carriesTraceContext;
        this.contract = contract;
        this.proxy = ContractProxy.of(contract, () -> transport + " plugin '" + name.get() + "' (" + contract.getName() + ")", calls);
    }

    /** @return the contract's proxy, as registered */
    public Object proxy() {
        return proxy;
    }

    /** Registers the proxy, or updates its properties when it is registered already. */
    public void publish(KitManifest m, List<Capability> capabilities) {
        publish(m, capabilities, m.functions());
    }

    /**
     * As {@link #publish(KitManifest, List)}, for a plugin with no contract of its own, with the functions it has
     * (the {@link PluginProperties#FUNCTIONS} its calls are observed under).
     */
    public synchronized void publish(KitManifest m, List<Capability> capabilities, java.util.Collection<String> functions) {
        Hashtable<String, Object> props = DeployedPlugins.serviceProperties(m.name(), m.version(), transport, capabilities, m.file());
        if (Functions.isInvocable(contract)) {
            props.put(PluginProperties.FUNCTIONS, functions.toArray(String[]::new));
        }
        if (carriesTraceContext) {
            props.put(PluginProperties.TRACE_CONTEXT, Boolean.TRUE);
        }
        if (registration == null) {
            registration = context.registerService(contract.getName(), proxy, props);
        } else if (!same(props, registered)) {
            // a reload with the same manifest and capabilities changes nothing a consumer sees: no MODIFIED
            // event (every listener's work, the registry's log line, on the reload's path)
            registration.setProperties(props);
        }
        registered = props;
    }

    private static boolean same(Hashtable<String, Object> a, Hashtable<String, Object> b) {
        if (b == null || !a.keySet().equals(b.keySet())) {
            return false;
        }
        for (var e : a.entrySet()) {
            if (!java.util.Objects.deepEquals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Withdraws the service, if it is registered. */
    public synchronized void withdraw() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
            registration = null;
            registered = null;
        }
    }

    /** @return whether the service is registered now */
    public synchronized boolean published() {
        return registration != null;
    }

    /** @return the plugin as the registry lists it */
    public PluginDescriptor descriptor(KitManifest m, List<Capability> capabilities, PluginState state) {
        return new PluginDescriptor(m.name(), m.version(), m.contract(), transport, capabilities, state,
                context.getBundle().getBundleId(), m.file().getFileName().toString());
    }
}
