package io.atrium.core.registry;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginEvent;
import io.atrium.api.PluginListener;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginState;
import io.atrium.api.Transport;
import io.atrium.core.diagnostics.ProblemReport;
import io.atrium.spi.PluginProvider;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Every service of a {@code @PluginContract} interface, described. A plain service listener
 * does the watching because DS cannot reference "any service whose interface is a contract".
 */
@Component(service = {PluginRegistry.class, PluginCatalog.class}, immediate = true)
public final class PluginRegistryImpl implements PluginRegistry, PluginCatalog, ServiceListener {
    private static final Logger LOG = Logger.getLogger("io.atrium.core");

    private final BundleContext context;
    private final ProblemReport problemReport;
    private final List<PluginListener> listeners = new CopyOnWriteArrayList<>();
    /** Guarded by this. Several services may claim a name; the first registered wins, the rest are problems. */
    private final Map<String, List<Entry>> byName = new TreeMap<>();
    private final Map<ServiceReference<?>, PluginProblem> refused = new java.util.concurrent.ConcurrentHashMap<>();
    /** Guarded by this: the plugin name each plugin service claims, so other services' events cost a lookup. */
    private final Map<ServiceReference<?>, String> claimed = new java.util.HashMap<>();
    /**
     * Transports that also know their plugins while those are not services (starting, failed, stopped).
     * Held by reference and got when first asked, so a transport nobody has needed yet stays inactive.
     */
    @Reference(service = PluginProvider.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<ServiceReference<PluginProvider>> providerRefs = List.of();
    private final Map<ServiceReference<PluginProvider>, PluginProvider> providerObjects = new java.util.concurrent.ConcurrentHashMap<>();

    private final io.atrium.core.trust.CapabilityRules capabilityRules;
    /** Asked whether a name missing here is only being swapped (updated, reloaded): then a lookup waits for it. */
    private final io.atrium.core.facade.PluginFacades facades;
    private final Runnable policyListener = this::capabilityPolicyChanged;

    @Activate
    public PluginRegistryImpl(BundleContext context, @Reference ProblemReport problemReport,
                              @Reference io.atrium.core.trust.CapabilityRules capabilityRules,
                              @Reference io.atrium.core.facade.PluginFacades facades) {
        this.capabilityRules = capabilityRules;
        this.facades = facades;
        this.context = context;
        capabilityRules.onChange(policyListener);
        this.problemReport = problemReport;
        try {
            context.addServiceListener(this);
            ServiceReference<?>[] existing = context.getAllServiceReferences(null, null);
            if (existing != null) {
                for (ServiceReference<?> ref : existing) {
                    added(ref);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // null filter: cannot happen
        }
    }

    @Deactivate
    void deactivate() {
        capabilityRules.removeListener(policyListener);
        context.removeServiceListener(this);
        providerObjects.keySet().forEach(context::ungetService);
    }

    /** @return the transports' providers, each got from the framework the first time it is asked for */
    private List<PluginProvider> providers() {
        List<ServiceReference<PluginProvider>> refs = providerRefs;
        for (var it = providerObjects.keySet().iterator(); it.hasNext(); ) {
            ServiceReference<PluginProvider> gone = it.next();
            if (!refs.contains(gone)) {
                it.remove();
                context.ungetService(gone);
            }
        }
        List<PluginProvider> out = new ArrayList<>();
        for (ServiceReference<PluginProvider> ref : refs) {
            PluginProvider p = providerObjects.computeIfAbsent(ref, context::getService);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        ServiceReference<?> ref = event.getServiceReference();
        switch (event.getType()) {
            case ServiceEvent.REGISTERED -> added(ref);
            case ServiceEvent.MODIFIED -> modified(ref);
            case ServiceEvent.UNREGISTERING, ServiceEvent.MODIFIED_ENDMATCH -> removed(ref);
            default -> { }
        }
    }

    private void added(ServiceReference<?> ref) {
        if (ref.getProperty(PluginProperties.FACADE) != null) {
            return; // the core's own stand-in for a plugin, not a plugin
        }
        ContractDetector.Verdict verdict = ContractDetector.inspect(ref);
        if (verdict.foreignApiBundle() != null) {
            String name = nameOf(ref);
            String reason = "registers " + verdict.contract() + " from its own copy of the API (in bundle "
                    + verdict.foreignApiBundle() + "); a plugin must import the API packages, not embed them";
            refused.put(ref, new PluginProblem(name, source(ref), reason));
            LOG.warning("plugin '" + name + "' " + reason);
            return;
        }
        if (!verdict.isPlugin()) {
            return;
        }
        Entry entry = new Entry(describe(ref, verdict.contract()), ref);
        String lacking = capabilityRules.refusal(verdict.contract(), entry.descriptor().capabilities());
        if (lacking != null) {
            String name = entry.descriptor().name();
            refused.put(ref, new PluginProblem(name, source(ref), "is refused: it " + lacking));
            LOG.warning("plugin '" + name + "' is refused: it " + lacking);
            return;
        }
        boolean first;
        synchronized (this) {
            List<Entry> claims = byName.computeIfAbsent(entry.descriptor().name(), n -> new ArrayList<>());
            claims.add(entry);
            claimed.put(ref, entry.descriptor().name());
            first = claims.size() == 1;
        }
        if (first) {
            fire(new PluginEvent(PluginEvent.Type.REGISTERED, entry.descriptor()));
        } else {
            LOG.warning("plugin '" + entry.descriptor().name() + "' from " + entry.descriptor().source()
                    + " ignored: another plugin already has that name");
        }
    }

    private void modified(ServiceReference<?> ref) {
        Entry updated = null;
        synchronized (this) {
            String name = claimed.get(ref);
            List<Entry> claims = name == null ? null : byName.get(name);
            for (int i = 0; claims != null && i < claims.size(); i++) {
                Entry e = claims.get(i);
                if (e.reference().equals(ref)) {
                    updated = new Entry(describe(ref, e.descriptor().contract()), ref);
                    if (updated.descriptor().name().equals(e.descriptor().name())) {
                        claims.set(i, updated);
                    } else {
                        updated = null; // renamed: treat as remove + add below
                    }
                }
            }
        }
        if (updated != null) {
            fire(new PluginEvent(PluginEvent.Type.MODIFIED, updated.descriptor()));
        } else {
            removed(ref);
            added(ref);
        }
    }

    /** The capability policy changed: plugins it now refuses go, plugins it refused and now accepts come. */
    private void capabilityPolicyChanged() {
        List<ServiceReference<?>> recheck;
        synchronized (this) {
            recheck = new ArrayList<>(claimed.keySet());
        }
        recheck.addAll(refused.keySet());
        for (ServiceReference<?> ref : recheck) {
            ContractDetector.Verdict v = ContractDetector.inspect(ref);
            if (!v.isPlugin() || v.foreignApiBundle() != null || ref.getBundle() == null) {
                continue;
            }
            boolean lacking = capabilityRules.refusal(v.contract(), capabilities(ref.getProperty(PluginProperties.CAPABILITIES))) != null;
            if (lacking != refused.containsKey(ref)) {
                removed(ref);
                added(ref); // refused now, or accepted now
            }
        }
    }

    private void removed(ServiceReference<?> ref) {
        refused.remove(ref);
        Entry gone = null;
        Entry promoted = null;
        synchronized (this) {
            String name = claimed.remove(ref);
            List<Entry> claims = name == null ? null : byName.get(name);
            if (claims == null) {
                return;
            }
            for (int i = 0; i < claims.size(); i++) {
                if (claims.get(i).reference().equals(ref)) {
                    Entry e = claims.remove(i);
                    if (i == 0) {
                        gone = e;
                        promoted = claims.isEmpty() ? null : claims.get(0);
                    }
                    break;
                }
            }
            if (claims.isEmpty()) {
                byName.remove(name);
            }
        }
        if (gone != null) {
            fire(new PluginEvent(PluginEvent.Type.UNREGISTERED, gone.descriptor()));
        }
        if (promoted != null) {
            fire(new PluginEvent(PluginEvent.Type.REGISTERED, promoted.descriptor()));
        }
    }

    private void fire(PluginEvent event) {
        for (PluginListener l : listeners) {
            try {
                l.pluginChanged(event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "plugin listener " + l.getClass().getName() + " failed on " + event, e);
            }
        }
    }

    static PluginDescriptor describe(ServiceReference<?> ref, String contract) {
        Object transport = ref.getProperty(PluginProperties.TRANSPORT);
        Object version = ref.getProperty(PluginProperties.VERSION);
        return new PluginDescriptor(
                nameOf(ref),
                version != null ? version.toString() : ref.getBundle().getVersion().toString(),
                contract,
                transport != null ? Transport.of(transport.toString()) : Transport.IN_PROCESS,
                capabilities(ref.getProperty(PluginProperties.CAPABILITIES)),
                PluginState.ACTIVE,
                ref.getBundle().getBundleId(),
                source(ref));
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

    /** Registered plugins, then the providers' plugins that are not registered now (starting, failed, stopped). */
    @Override
    public List<PluginDescriptor> plugins() {
        Map<String, PluginDescriptor> all = new TreeMap<>();
        synchronized (this) {
            byName.forEach((name, claims) -> all.put(name, truth(claims.get(0))));
        }
        for (PluginProvider p : providers()) {
            for (PluginDescriptor d : p.plugins()) {
                all.putIfAbsent(d.name(), d);
            }
        }
        return List.copyOf(all.values());
    }

    @Override
    public Optional<PluginDescriptor> plugin(String name) {
        Optional<Entry> registered = entry(name);
        if (registered.isPresent()) {
            return Optional.of(truth(registered.get()));
        }
        for (PluginProvider p : providers()) {
            for (PluginDescriptor d : p.plugins()) {
                if (d.name().equals(name)) {
                    return Optional.of(d);
                }
            }
        }
        return Optional.empty();
    }

    /** A registered plugin as it stands: failed when its component failed to activate at its last call. */
    private PluginDescriptor truth(Entry e) {
        if (facades.failure(e.reference()) == null) {
            return e.descriptor();
        }
        PluginDescriptor d = e.descriptor();
        return new PluginDescriptor(d.name(), d.version(), d.contract(), d.transport(), d.capabilities(), PluginState.FAILED, d.bundleId(),
                d.source());
    }

    @Override
    public Optional<PluginProvider> providerOf(String name) {
        for (PluginProvider p : providers()) {
            if (p.plugins().stream().anyMatch(d -> d.name().equals(name))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<Entry> entry(String name) {
        Optional<Entry> now = registered(name);
        if (now.isPresent() || !facades.hasFacade(name)) {
            return now;
        }
        // Its facade stands: an update or reload is swapping it, or its new service is being announced to
        // this registry right now. A caller by name waits for it, as a caller of the facade does.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((now = registered(name)).isEmpty() && facades.hasFacade(name) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return now;
    }

    private synchronized Optional<Entry> registered(String name) {
        List<Entry> claims = byName.get(name);
        return claims == null ? Optional.empty() : Optional.of(claims.get(0));
    }

    @Override
    public List<PluginDescriptor> pluginsFor(String contract) {
        return plugins().stream().filter(p -> p.contract().equals(contract)).toList();
    }

    /** The plugin folder, whose refused files are problems too (dynamic: the deployer itself uses this registry). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile io.atrium.api.PluginFolder folder;

    @Override
    public List<PluginProblem> problems() {
        List<PluginProblem> all = new ArrayList<>(problemReport.problems());
        io.atrium.api.PluginFolder f = folder;
        if (f != null) {
            for (io.atrium.api.PluginFolder.File file : f.files()) {
                if (file.state().equals("refused")) {
                    all.add(new PluginProblem(file.file(), "plugin folder", file.detail()));
                }
            }
        }
        all.addAll(refused.values());
        for (PluginProvider p : providers()) {
            all.addAll(p.problems());
        }
        synchronized (this) {
            for (List<Entry> claims : byName.values()) {
                String failure = facades.failure(claims.get(0).reference());
                if (failure != null) {
                    PluginDescriptor d = claims.get(0).descriptor();
                    all.add(new PluginProblem(d.name(), d.source() + " [" + d.bundleId() + "]", failure));
                }
                for (Entry loser : claims.subList(1, claims.size())) {
                    PluginDescriptor d = loser.descriptor();
                    all.add(new PluginProblem(d.name(), d.source() + " [" + d.bundleId() + "]",
                            "ignored: the name '" + d.name() + "' is already used by " + claims.get(0).descriptor().source()));
                }
            }
        }
        all.sort(Comparator.comparing(PluginProblem::plugin));
        return all;
    }

    @Override
    public AutoCloseable addListener(PluginListener listener) {
        List<PluginDescriptor> current;
        synchronized (this) {
            listeners.add(listener);
            current = plugins();
        }
        for (PluginDescriptor d : current) {
            listener.pluginChanged(new PluginEvent(PluginEvent.Type.REGISTERED, d));
        }
        return () -> listeners.remove(listener);
    }
}
