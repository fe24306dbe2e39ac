package io.atrium.core.registry;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginState;
import io.atrium.core.trust.CapabilityRules;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The one listener over all services: classifies each service once (is it a plugin, its contract, name,
 * version, transport id, capabilities, and whether the capability policy admits it) and tells the
 * registry and the facades. A plain service listener because DS cannot reference "any service whose
 * interface is a contract". The policy is applied here, once per service and once per policy change.
 */
@Component(service = PluginTracker.class, immediate = true)
public final class PluginTracker implements ServiceListener {
    private static final Logger LOG = Logger.getLogger("io.atrium.core");

    /** Told about plugin services (admitted or refused), in the order they were registered with {@link #track}. */
    public interface Listener {
        /** A plugin service appeared, or a listener was registered while it stood. */
        void added(PluginService service);

        /** An admitted plugin's properties changed and it is still admitted. */
        void modified(PluginService before, PluginService now);

        /** A plugin service is going away. */
        void removed(PluginService service);

        /** Its admission changed: the policy changed, or its own properties did. */
        default void rejudged(PluginService before, PluginService now) {
            removed(before);
            added(now);
        }
    }

    private final BundleContext context;
    private final long coreId;
    private final CapabilityRules capabilityRules;
    private final Runnable policyListener = this::policyChanged;
    /** Every service seen, by service id, classified once: the service hooks ask on every event and lookup. */
    private final Map<Long, PluginService> services = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    @Activate
    public PluginTracker(BundleContext context, @Reference CapabilityRules capabilityRules) {
        this.context = context;
        this.coreId = context.getBundle().getBundleId();
        this.capabilityRules = capabilityRules;
        capabilityRules.onChange(policyListener);
        context.addServiceListener(this);
    }

    @Deactivate
    void deactivate() {
        capabilityRules.removeListener(policyListener);
        context.removeServiceListener(this);
    }

    /** Registers a listener and tells it about every plugin service there is now. */
    public void track(Listener listener) {
        listeners.add(listener);
        try {
            ServiceReference<?>[] existing = context.getAllServiceReferences(null, null);
            for (ServiceReference<?> ref : existing == null ? new ServiceReference<?>[0] : existing) {
                PluginService s = classified(ref);
                if (s.isPlugin()) {
                    listener.added(s);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // null filter: cannot happen
        }
    }

    /** @param listener no longer told */
    public void untrack(Listener listener) {
        listeners.remove(listener);
    }

    /** @return the service as classified when first seen (or when its properties last changed) */
    public PluginService classified(ServiceReference<?> ref) {
        return services.computeIfAbsent((Long) ref.getProperty(Constants.SERVICE_ID), id -> classify(ref));
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        ServiceReference<?> ref = event.getServiceReference();
        switch (event.getType()) {
            case ServiceEvent.REGISTERED -> {
                PluginService s = classified(ref);
                if (s.isPlugin()) {
                    listeners.forEach(l -> tell(l, () -> l.added(s)));
                }
            }
            case ServiceEvent.MODIFIED -> {
                PluginService before = classified(ref);
                if (before.backing()) { // a foreign copy's service stays refused for what it is, whatever its properties
                    PluginService now = judged(describe(ref, before.contract(), null));
                    services.put((Long) ref.getProperty(Constants.SERVICE_ID), now);
                    boolean stillAdmitted = before.admitted() && now.admitted();
                    listeners.forEach(l -> tell(l, () -> {
                        if (stillAdmitted) {
                            l.modified(before, now);
                        } else {
                            l.rejudged(before, now);
                        }
                    }));
                }
            }
            case ServiceEvent.UNREGISTERING, ServiceEvent.MODIFIED_ENDMATCH -> {
                PluginService gone = services.remove((Long) ref.getProperty(Constants.SERVICE_ID));
                if (gone != null && gone.isPlugin()) {
                    listeners.forEach(l -> tell(l, () -> l.removed(gone)));
                }
            }
            default -> { }
        }
    }

    /** The capability policy changed: each plugin is judged again, once, and the listeners told of those whose admission changed. */
    private void policyChanged() {
        for (PluginService before : services.values()) {
            if (before.descriptor() == null || before.foreignApi() || before.reference().getBundle() == null) {
                continue; // refused for what it is, not for its capabilities; or gone
            }
            PluginService now = judged(before.refused(null));
            if (before.admitted() != now.admitted()
                    && services.replace((Long) before.reference().getProperty(Constants.SERVICE_ID), before, now)) {
                listeners.forEach(l -> tell(l, () -> l.rejudged(before, now)));
            }
        }
    }

    private static void tell(Listener l, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "plugin tracker listener " + l.getClass().getName() + " failed", e);
        }
    }

    private PluginService classify(ServiceReference<?> ref) {
        Bundle bundle = ref.getBundle();
        if (bundle == null || bundle.getBundleId() == coreId || ref.getProperty(PluginProperties.FACADE) != null) {
            return PluginService.NOT_A_PLUGIN; // gone, or the core's own (its facades stand in for plugins, they are none)
        }
        ContractDetector.Verdict verdict = ContractDetector.inspect(ref);
        if (verdict.contract() == null) {
            return PluginService.NOT_A_PLUGIN;
        }
        return judged(describe(ref, verdict.contract(), verdict.foreignApiBundle()));
    }

    /** @return the service described from its properties; refused when they cannot describe it */
    private PluginService describe(ServiceReference<?> ref, String contract, String foreignApiBundle) {
        String name = nameOf(ref);
        String source = source(ref);
        if (foreignApiBundle != null) {
            return new PluginService(ref, contract, true, name, source, null, "registers " + contract + " from its own copy of the API (in bundle "
                    + foreignApiBundle + "); a plugin must import the API packages, not embed them");
        }
        Bundle bundle = ref.getBundle();
        if (bundle == null) {
            return new PluginService(ref, contract, false, name, source, null, "is gone");
        }
        try {
            Object version = ref.getProperty(PluginProperties.VERSION);
            Object transport = ref.getProperty(PluginProperties.TRANSPORT);
            PluginDescriptor d = new PluginDescriptor(name, version != null ? version.toString() : bundle.getVersion().toString(), contract,
                    transport != null ? transport.toString() : PluginProperties.IN_PROCESS,
                    capabilities(ref.getProperty(PluginProperties.CAPABILITIES)), PluginState.ACTIVE, bundle.getBundleId(), source);
            if (!d.transportId().equals(PluginProperties.IN_PROCESS) && !DeclaredTransports.declares(bundle, d.transportId())) {
                // else any bundle could list its plugins as, say, sandboxed wasm ones
                return new PluginService(ref, contract, false, name, source, null, "is refused: it names the transport '" + d.transportId()
                        + "', which its bundle " + bundle.getSymbolicName() + " does not declare (a transport's bundle declares its id: "
                        + "Provide-Capability: " + io.atrium.spi.ArtifactHandler.NAMESPACE + ";kind=" + d.transportId() + ")");
            }
            if (!d.transportId().equals(PluginProperties.IN_PROCESS) && !io.atrium.core.deploy.FolderDeployer.isServer(bundle)
                    && serverTransports().contains(d.transportId())) { // declaring it is not enough: the server's ids are its own
                return new PluginService(ref, contract, false, name, source, null, "is refused: it names the transport '" + d.transportId()
                        + "', which is one of the server's own; bundle " + bundle.getSymbolicName() + " may not run plugins as it");
            }
            return new PluginService(ref, contract, false, name, source, d, null);
        } catch (IllegalArgumentException e) {
            return new PluginService(ref, contract, false, name, source, null, "is refused: " + e.getMessage());
        }
    }

    /** The transport ids the server's own bundles declare; read once, as the whole base set is installed before any plugin registers. */
    private volatile java.util.Set<String> serverTransports;

    private java.util.Set<String> serverTransports() {
        java.util.Set<String> known = serverTransports;
        if (known == null) {
            java.util.Set<String> ids = new java.util.HashSet<>();
            for (Bundle b : context.getBundles()) {
                if (io.atrium.core.deploy.FolderDeployer.isServer(b)) {
                    DeclaredTransports.of(b).forEach(d -> ids.add(d.kind()));
                }
            }
            serverTransports = known = java.util.Set.copyOf(ids);
        }
        return known;
    }

    /** @return the service with the capability policy's verdict on it (the only refusal a described service can have) */
    private PluginService judged(PluginService s) {
        if (s.descriptor() == null) {
            return s;
        }
        String lacking = capabilityRules.refusal(s.contract(), s.descriptor().capabilities());
        return s.refused(lacking == null ? null : "is refused: it " + lacking);
    }

    /** @return a plugin service's name: its name property, else its component's name, else its bundle's symbolic name */
    public static String nameOf(ServiceReference<?> ref) {
        Object name = ref.getProperty(PluginProperties.NAME);
        if (name == null) {
            name = ref.getProperty("component.name");
        }
        return name != null ? name.toString() : ref.getBundle().getSymbolicName();
    }

    private static String source(ServiceReference<?> ref) {
        Object source = ref.getProperty(PluginProperties.SOURCE);
        return source != null ? source.toString() : ref.getBundle().getSymbolicName();
    }

    /** @return the capabilities a plugin service declares in its {@code atrium.plugin.capabilities} property */
    public static List<Capability> capabilities(Object value) {
        List<Capability> caps = new ArrayList<>();
        if (value instanceof String s) {
            caps.add(Capability.parse(s));
        } else if (value instanceof String[] a) {
            for (String s : a) {
                caps.add(Capability.parse(s));
            }
        } else if (value instanceof Collection<?> c) {
            for (Object o : c) {
                caps.add(Capability.parse(String.valueOf(o)));
            }
        }
        return caps;
    }

    /**
     * @return the functions an {@link io.atrium.api.Invocable} plugin service declares in its {@code atrium.plugin.functions}
     *         property (a String, comma-separated, or String[] or a collection); blank names left out
     */
    public static java.util.Set<String> functions(Object value) {
        Iterable<?> items = value instanceof String s ? java.util.Arrays.asList(s.split(","))
                : value instanceof String[] a ? java.util.Arrays.asList(a)
                : value instanceof Collection<?> c ? c : List.of();
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (Object o : items) {
            String name = String.valueOf(o).trim();
            if (!name.isEmpty()) {
                out.add(name);
            }
        }
        return out;
    }
}
