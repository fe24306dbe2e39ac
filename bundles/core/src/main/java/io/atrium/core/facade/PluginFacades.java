package io.atrium.core.facade;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginState;
import io.atrium.api.PluginUnavailableException;
import io.atrium.api.PluginProperties;
import io.atrium.core.calls.CallObservers;
import io.atrium.core.calls.CallProbe;
import io.atrium.core.registry.PluginService;
import io.atrium.core.registry.PluginTracker;
import io.atrium.spi.PluginProvider;
import java.lang.ref.WeakReference;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.hooks.service.ListenerHook.ListenerInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Puts a stable facade in front of every plugin service, so consumers never see a plugin come and go
 * while Atrium swaps its implementation (a bundle update, a reload).
 *
 * <p>Each plugin service (the <em>backing</em> service) gets a facade: a service of the same contract
 * and properties, registered by the core, that forwards each call to the current backing object.
 * Service hooks hide backing services from every bundle but the core and the plugin's own, so DS
 * references, service trackers and the embedding API all bind to facades. During a swap announced
 * with {@link #beginSwap} the facade stays registered and calls wait briefly for the new backing;
 * calls already running finish on the old one. Outside a swap, a backing that goes away takes its
 * facade's registration with it at once; the facade object itself is kept (weakly: for the consumers
 * that still hold it), fails its calls at once saying why the plugin is down ({@code restarting: …}),
 * and is registered again, the same object, when a plugin of its name, contract and origin comes back (a
 * restart after a crash, an operator's start, a redeploy), so a held facade answers again.
 */
@Component(service = {PluginFacades.class, FindHook.class, EventListenerHook.class}, immediate = true)
public final class PluginFacades implements PluginTracker.Listener, FindHook, EventListenerHook {
    /** How long a call waits for the implementation during a swap. */
    static final long SWAP_WAIT_MS = 10_000;
    private static final Logger LOG = Logger.getLogger("io.atrium.core.facade");

    private final BundleContext context;
    /** Classifies each service once; the hooks ask it on every event and lookup. */
    private final PluginTracker tracker;
    /** Facades by plugin name and contract. */
    private final Map<String, Facade> facades = new ConcurrentHashMap<>();
    /**
     * Facades withdrawn with their plugin, by plugin name and contract, until it comes back. Weakly: the
     * consumers that kept one hold it; nobody else does (it must not keep a removed plugin's class loader).
     */
    private final Map<String, Down> down = new ConcurrentHashMap<>();

    /** A withdrawn facade, held weakly, and where its plugin came from: only a plugin of the same origin takes it back. */
    private record Down(WeakReference<FacadeHandler> handler, String origin) {
    }

    /** The transports, which say why one of their plugins is down (restarting after a crash, failed, stopped). */
    @Reference(service = PluginProvider.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<PluginProvider> providers = List.of();
    /**
     * Bundles whose services are being swapped, each with the number of swaps in progress: a swap ends when its
     * plugins are back, which may be after the next one began (a second update right after the first).
     */
    private final Map<Long, Integer> swapping = new ConcurrentHashMap<>();

    /** One facade: the proxy, its registration, and the backing it forwards to. */
    final class Facade {
        final String key;
        final FacadeHandler handler;
        final CallProbe probe;
        volatile ServiceRegistration<?> registration;
        volatile ServiceReference<?> backingRef;
        volatile long bundleId;
        /** Where its plugin comes from ({@link #origin}): a plugin that merely shares the name is another plugin. */
        volatile String origin;

        Facade(String key, FacadeHandler handler, CallProbe probe) {
            this.key = key;
            this.handler = handler;
            this.probe = probe;
        }
    }

    private final CallObservers observers;
    private final io.atrium.core.diagnostics.ProblemReport problems;
    /** Service id -> why its component failed to activate at its last call. */
    private final Map<Object, String> failures = new ConcurrentHashMap<>();

    @Activate
    public PluginFacades(BundleContext context, @Reference CallObservers observers, @Reference PluginTracker tracker,
                         @Reference io.atrium.core.diagnostics.ProblemReport problems) {
        this.problems = problems;
        this.context = context;
        this.observers = observers;
        this.tracker = tracker;
        tracker.track(this);
    }

    @Deactivate
    void deactivate() {
        tracker.untrack(this);
        for (Facade f : facades.values()) {
            unregister(f);
            f.handler.close();
        }
        facades.clear();
        down.values().forEach(d -> {
            FacadeHandler h = d.handler().get();
            if (h != null) {
                h.close();
            }
        });
        down.clear();
    }

    // ------------------------------------------------------------- swaps, announced by the deployer

    /** The services of these bundles are about to go away and come back: keep their facades. */
    public void beginSwap(Collection<Bundle> bundles) {
        bundles.forEach(b -> swapping.merge(b.getBundleId(), 1, Integer::sum));
    }

    /**
     * The plugin's object, got on its first call (a DS delayed component is created then). A service still
     * registered that yields nothing is a component that failed to activate: the call fails at once, with
     * SCR's reason, and the plugin is listed as failed until a later call activates it.
     */
    private Object fetch(ServiceReference<?> ref) {
        Object service = context.getService(ref);
        Object id = ref.getProperty(org.osgi.framework.Constants.SERVICE_ID);
        if (service != null) {
            failures.remove(id);
            return service;
        }
        if (ref.getBundle() == null) {
            return null; // unregistered meanwhile: a swap, or gone
        }
        String why = problems.activationFailure(ref).orElse("its bundle gave no object for its service");
        failures.put(id, why);
        throw new PluginUnavailableException(name(ref), why);
    }

    /** @return why the plugin behind this service failed to activate at its last call, or null */
    public String failure(ServiceReference<?> ref) {
        return failures.isEmpty() ? null : failures.get(ref.getProperty(org.osgi.framework.Constants.SERVICE_ID));
    }

    /**
     * @return whether a plugin of this name has a facade: it is registered, or being swapped (updated,
     *         reloaded) and coming back. A lookup by name that misses such a plugin waits for it.
     */
    public boolean hasFacade(String name) {
        String prefix = name + "|";
        for (String key : facades.keySet()) {
            if (key.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The swap is over. A facade whose plugin did not come back is withdrawn, and the calls waiting
     * on it fail as unavailable.
     */
    public void endSwap(Collection<Bundle> bundles) {
        for (Bundle b : bundles) {
            swapping.computeIfPresent(b.getBundleId(), (id, n) -> n > 1 ? n - 1 : null);
        }
        for (Facade f : facades.values()) {
            if (f.backingRef == null && !swapping.containsKey(f.bundleId)) {
                withdraw(f, "did not come back after its update");
            }
        }
    }

    // ------------------------------------------------------------- tracking backing services

    @Override
    public void modified(PluginService before, PluginService now) {
        Facade f = facades.get(now.name() + "|" + now.contract());
        if (f != null && now.reference().equals(f.backingRef) && f.registration != null) {
            CallProbe.SiteInfo site = site(now);
            if (!site.equals(f.probe.site())) { // a redeploy: calls are observed under its version and functions, before anyone sees them
                f.probe.retarget(site);
            }
            f.registration.setProperties(facadeProperties(now.reference()));
        }
    }

    @Override
    public void added(PluginService s) {
        if (!s.admitted()) {
            return; // refused (the registry says why): hidden, and no facade for consumers, nor a swap's new implementation
        }
        ServiceReference<?> ref = s.reference();
        String contractName = s.contract();
        String key = s.name() + "|" + contractName;
        Facade f = facades.get(key);
        if (f != null && f.backingRef == null && !sameContract(f, ref, contractName)) {
            // the bundle brings its own contract, and its new revision a new class of it: the old facade implements
            // the old class, cannot take the new implementation, and would keep the old revision's class loader
            withdraw(f, "brought a new revision of its own contract");
            f.handler.close(); // it can never take an implementation of the new class
            down.remove(key);
            f = null;
        }
        if (f != null && f.backingRef == null) {
            // the swap's new implementation: calls resume on it
            f.backingRef = ref;
            f.bundleId = ref.getBundle().getBundleId();
            f.origin = origin(s);
            f.handler.setLazyTarget(() -> fetch(ref));
            f.probe.retarget(site(s));
            if (f.registration != null) {
                f.registration.setProperties(facadeProperties(ref));
            }
            return;
        }
        if (f != null) {
            return; // a second service with the same name: the registry reports it; the first keeps the facade
        }
        Class<?> contract;
        try {
            contract = ref.getBundle().loadClass(contractName);
        } catch (ClassNotFoundException | IllegalStateException | NullPointerException gone) {
            return;
        }
        FacadeHandler handler = comingBack(key, contract, origin(s));
        if (handler != null) {
            handler.probe().retarget(site(s));
        } else {
            handler = new FacadeHandler(s.name(), contract, SWAP_WAIT_MS, observers.newProbe(FacadeClass.methodNames(contract), site(s)));
        }
        handler.setLazyTarget(() -> fetch(ref));
        f = new Facade(key, handler, handler.probe());
        f.origin = origin(s);
        f.backingRef = ref;
        f.bundleId = ref.getBundle().getBundleId();
        facades.put(key, f);
        f.registration = context.registerService(contract.getName(), handler.facade(), facadeProperties(ref));
    }

    /** The capability policy (or the plugin's own properties) now refuses it: its facade goes; or accepts it: it gets one. */
    @Override
    public void rejudged(PluginService before, PluginService now) {
        if (now.admitted()) {
            added(now);
            return;
        }
        Facade f = facades.get(before.name() + "|" + before.contract());
        if (f != null && before.reference().equals(f.backingRef)) {
            withdraw(f, "is refused by the capability policy");
        }
    }

    /** @return whether the facade implements the contract class that the new implementation's bundle sees */
    private static boolean sameContract(Facade f, ServiceReference<?> ref, String contractName) {
        try {
            return ref.getBundle().loadClass(contractName).isInstance(f.handler.facade());
        } catch (ClassNotFoundException | IllegalStateException e) {
            return true; // cannot tell (the bundle went meanwhile): the swap goes on as before
        }
    }

    @Override
    public void removed(PluginService s) {
        ServiceReference<?> ref = s.reference();
        Facade f = facades.get(s.name() + "|" + s.contract());
        if (f == null || !ref.equals(f.backingRef)) {
            return;
        }
        f.backingRef = null;
        f.handler.setTarget(null);
        context.ungetService(ref);
        if (!swapping.containsKey(f.bundleId)) {
            withdraw(f, "was removed");
        }
    }

    /**
     * Unregisters the facade; the consumers that hold it keep an object whose calls fail at once, saying why the
     * plugin is down, and which answers again when the plugin comes back ({@link #comingBack}).
     */
    private void withdraw(Facade f, String why) {
        if (facades.remove(f.key, f)) {
            unregister(f);
            String name = f.key.substring(0, f.key.lastIndexOf('|'));
            f.handler.down(() -> whyDown(name, why));
            down.values().removeIf(d -> d.handler().get() == null);
            down.put(f.key, new Down(new WeakReference<>(f.handler), f.origin));
            LOG.fine("facade of " + f.key + " withdrawn: the plugin " + why);
        }
    }

    /**
     * @return the facade a consumer may still hold of the plugin of this name and contract, which went down and now
     *         comes back from where it came from (the same bundle, or the same transport's same file); null when none is
     *         held, when the plugin now taking the name is another (another bundle, another transport or file), or
     *         when it implements another class of the contract (a bundle's own contract in a new revision): the held
     *         one is then closed for good
     */
    private FacadeHandler comingBack(String key, Class<?> contract, String origin) {
        Down d = down.remove(key);
        FacadeHandler held = d == null ? null : d.handler().get();
        if (held == null || (d.origin().equals(origin) && contract.isInstance(held.facade()))) {
            return held;
        }
        held.close();
        return null;
    }

    /** @return where a plugin comes from: its transport and its bundle's symbolic name or its manifest file */
    private static String origin(PluginService s) {
        return s.descriptor().transportId() + "|" + s.descriptor().source();
    }

    /** @return why a plugin whose facade was withdrawn is down, as its transport says now, else what withdrew it */
    private String whyDown(String name, String withdrawn) {
        for (PluginProvider p : providers) {
            for (PluginDescriptor d : p.plugins()) {
                if (d.name().equals(name) && d.state() != PluginState.ACTIVE) { // active: up again, or refused by the core's policy
                    String problem = p.problems().stream().filter(pr -> pr.plugin().equals(name)).map(PluginProblem::reason).findFirst().orElse(null);
                    if (problem == null) {
                        return "is " + d.state();
                    }
                    // a restart says "restarting: …", a refusal "is refused: …"
                    return d.state() == PluginState.FAILED && !problem.startsWith("is ") ? "has failed: " + problem : problem;
                }
            }
        }
        return withdrawn;
    }

    private static void unregister(Facade f) {
        try {
            if (f.registration != null) {
                f.registration.unregister();
            }
        } catch (IllegalStateException alreadyGone) {
            // the core is stopping
        }
    }

    private static Dictionary<String, Object> facadeProperties(ServiceReference<?> ref) {
        Hashtable<String, Object> props = new Hashtable<>();
        for (String k : ref.getPropertyKeys()) {
            if (!k.equals(Constants.OBJECTCLASS) && !k.startsWith("service.") && !k.startsWith("component.")) {
                props.put(k, ref.getProperty(k));
            }
        }
        props.put(PluginProperties.NAME, name(ref));
        props.putIfAbsent(PluginProperties.VERSION, ref.getBundle().getVersion().toString());
        props.put(PluginProperties.FACADE, Boolean.TRUE);
        props.put("atrium.plugin.bundle", ref.getBundle().getBundleId());
        Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
        if (ranking instanceof Integer) {
            props.put(Constants.SERVICE_RANKING, ranking);
        }
        return props;
    }

    private static CallProbe.SiteInfo site(PluginService s) {
        return new CallProbe.SiteInfo(s.name(), s.descriptor().version(), s.descriptor().transportId(), s.contract(),
                PluginTracker.functions(s.reference().getProperty(PluginProperties.FUNCTIONS)),
                Boolean.TRUE.equals(s.reference().getProperty(PluginProperties.TRACE_CONTEXT)));
    }

    private static String name(ServiceReference<?> ref) {
        return PluginTracker.nameOf(ref);
    }

    /** A plugin's implementation: a contract service not registered by the core and not a facade. */
    private boolean isBacking(ServiceReference<?> ref) {
        return tracker.classified(ref).backing();
    }

    // ------------------------------------------------------------- hiding backing services

    /** A backing service is visible to the core and to the bundle that registered it; everything else is. */
    private boolean visible(BundleContext viewer, ServiceReference<?> ref) {
        return ref.getProperty(PluginProperties.FACADE) != null || !isBacking(ref) || seesBacking(viewer, contextOf(ref));
    }

    /**
     * Whether a viewer may see backing services of the bundle with context {@code owner}: the core and that
     * bundle. By identity (Felix keeps one context object per active bundle): the event hook asks this for
     * every listener's bundle on every plugin registration (a folder of 1000 plugins: ~500 000 times; by
     * bundle ids it cost 0.1 s in Felix's getBundleId alone).
     */
    private boolean seesBacking(BundleContext viewer, BundleContext owner) {
        return viewer == context || viewer == owner;
    }

    /** @return the context of the bundle that registered the service, or null when it is gone */
    private static BundleContext contextOf(ServiceReference<?> ref) {
        Bundle owner = ref.getBundle();
        return owner == null ? null : owner.getBundleContext();
    }

    @Override
    public void find(BundleContext viewer, String name, String filter, boolean allServices,
                     Collection<ServiceReference<?>> references) {
        references.removeIf(ref -> !visible(viewer, ref));
    }

    @Override
    public void event(ServiceEvent event, Map<BundleContext, Collection<ListenerInfo>> listeners) {
        ServiceReference<?> ref = event.getServiceReference();
        if (ref.getProperty(PluginProperties.FACADE) != null || !isBacking(ref)) {
            return; // most events: nothing to hide
        }
        BundleContext owner = contextOf(ref);
        listeners.keySet().removeIf(viewer -> !seesBacking(viewer, owner));
    }
}
