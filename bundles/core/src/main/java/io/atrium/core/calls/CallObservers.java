package io.atrium.core.calls;

import io.atrium.spi.CallObserver;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The registered {@link CallObserver}s, and the probes of every facade. Observers are held as
 * references and got only when a plugin method is first called, so an observer bundle's component
 * (and the metrics and tracing libraries behind it) is not activated at start-up.
 */
@Component(service = CallObservers.class)
public final class CallObservers {
    private static final Logger LOG = Logger.getLogger("io.atrium.core.calls");

    private final BundleContext context;
    private final List<ServiceReference<CallObserver>> observers = new CopyOnWriteArrayList<>();
    /** The observers got so far, each once: got on first use, released when it goes. */
    private final Map<ServiceReference<CallObserver>, CallObserver> got = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<CallProbe, Boolean> probes = Collections.synchronizedMap(new WeakHashMap<>());

    @Activate
    public CallObservers(BundleContext context) {
        this.context = context;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addObserver(ServiceReference<CallObserver> ref) {
        observers.add(ref);
        resetAll();
    }

    void removeObserver(ServiceReference<CallObserver> ref) {
        observers.remove(ref);
        resetAll();
        if (got.remove(ref) != null) {
            context.ungetService(ref);
        }
    }

    /**
     * @param methods the contract methods, in the order of the facade class's method indexes
     * @param site    the plugin the facade stands for
     * @return a probe for one facade
     */
    public CallProbe newProbe(String[] methods, CallProbe.SiteInfo site) {
        CallProbe probe = new CallProbe(methods, site, this::observe);
        probes.put(probe, Boolean.TRUE);
        return probe;
    }

    private void resetAll() {
        synchronized (probes) {
            probes.keySet().forEach(CallProbe::reset);
        }
    }

    private MethodObserver[] observe(CallSite site) {
        List<MethodObserver> found = new ArrayList<>();
        for (ServiceReference<CallObserver> ref : observers) {
            try {
                CallObserver observer = got.computeIfAbsent(ref, context::getService);
                MethodObserver m = observer == null ? null : observer.observe(site);
                if (m != null) {
                    found.add(m);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "call observer " + ref + " failed to observe plugin '" + site.plugin() + "': " + e, e);
            }
        }
        return found.toArray(new MethodObserver[0]);
    }
}
