package io.atrium.core.registry;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginEvent;
import io.atrium.api.PluginListener;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginState;
import io.atrium.core.diagnostics.ProblemReport;
import io.atrium.spi.PluginProvider;
import java.util.ArrayList;
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
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Every service of a {@code @PluginContract} interface, described: the plugins the {@link PluginTracker}
 * admits, the problems of those it refuses, and the transports' plugins that are not services now.
 */
@Component(service = {PluginRegistry.class, PluginCatalog.class}, immediate = true)
public final class PluginRegistryImpl implements PluginRegistry, PluginCatalog, PluginTracker.Listener {
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

    /** Asked whether a name missing here is only being swapped (updated, reloaded): then a lookup waits for it. */
    private final io.atrium.core.facade.PluginFacades facades;
    private final PluginTracker tracker;

    @Activate
    public PluginRegistryImpl(BundleContext context, @Reference ProblemReport problemReport, @Reference PluginTracker tracker,
                              @Reference io.atrium.core.facade.PluginFacades facades) {
        this.context = context;
        this.problemReport = problemReport;
        this.facades = facades; // referenced, so activated first: told of each service before this registry, as consumers expect
        this.tracker = tracker;
        tracker.track(this);
    }

    @Deactivate
    void deactivate() {
        tracker.untrack(this);
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
    public void added(PluginService s) {
        ServiceReference<?> ref = s.reference();
        if (s.refusal() != null) {
            refused.put(ref, new PluginProblem(s.name(), s.source(), s.refusal()));
            LOG.warning("plugin '" + s.name() + "' " + s.refusal());
            return;
        }
        Entry entry = new Entry(s.descriptor(), ref);
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

    @Override
    public void modified(PluginService before, PluginService now) {
        ServiceReference<?> ref = now.reference();
        Entry updated = null;
        synchronized (this) {
            String name = claimed.get(ref);
            List<Entry> claims = name == null ? null : byName.get(name);
            for (int i = 0; claims != null && i < claims.size(); i++) {
                if (claims.get(i).reference().equals(ref) && now.name().equals(name)) {
                    updated = new Entry(now.descriptor(), ref);
                    claims.set(i, updated);
                }
            }
        }
        if (updated != null) {
            fire(new PluginEvent(PluginEvent.Type.MODIFIED, updated.descriptor()));
        } else {
            removed(before); // renamed
            added(now);
        }
    }

    @Override
    public void removed(PluginService s) {
        ServiceReference<?> ref = s.reference();
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
        return new PluginDescriptor(d.name(), d.version(), d.contract(), d.transportId(), d.capabilities(), PluginState.FAILED, d.bundleId(),
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
        List<PluginProblem> ofTransports = new ArrayList<>();
        for (PluginProvider p : providers()) {
            ofTransports.addAll(p.problems());
        }
        io.atrium.api.PluginFolder f = folder;
        if (f != null) {
            for (io.atrium.api.PluginFolder.File file : f.files()) {
                // a file listed refused for what its transport says of its plugin (the capability policy refuses it) is said once, by the plugin
                if (file.state().equals("refused")
                        && ofTransports.stream().noneMatch(pr -> pr.source().equals(file.file()) && pr.reason().equals(file.detail()))) {
                    all.add(new PluginProblem(file.file(), "plugin folder", file.detail()));
                }
            }
        }
        all.addAll(refused.values());
        all.addAll(ofTransports);
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
