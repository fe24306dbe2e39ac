package io.atrium.core.calls;

import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One plugin facade's instrumentation: the generated facade class calls {@link #begin} and
 * {@link #end} around every contract method call (see io.atrium.core.facade.FacadeClass). With no
 * observer, a call costs a volatile read and an array length check more; the observers of a method
 * are looked up on its first call, and again after {@link #reset}. A call ends on the observers it
 * began on, whatever was reset meanwhile: a tracer must close the span it opened (and give back the
 * trace context it made current on the calling thread).
 */
public final class CallProbe {
    private static final MethodObserver[] NONE = new MethodObserver[0];

    private final String[] methods;
    private final Function<CallSite, MethodObserver[]> observe;
    private volatile SiteInfo site;
    /** Per method index: its observers, or null until its next call looks them up. */
    private volatile MethodObserver[][] byMethod;

    /** Per declared function of an {@link io.atrium.api.Invocable}: its observers, looked up on its first call. */
    private volatile Map<String, MethodObserver[]> byFunction = new ConcurrentHashMap<>();

    /**
     * What a site is made of, less the method.
     *
     * @param functions the functions an {@link io.atrium.api.Invocable} plugin declares: the only names, besides its
     *                  methods', that its calls are observed under, so a caller cannot grow the metrics without bound
     * @param carriesTraceContext whether the plugin's service says its transport carries the trace context
     *                  ({@link io.atrium.api.PluginProperties#TRACE_CONTEXT})
     */
    public record SiteInfo(String plugin, String version, String transportId, String contract, Set<String> functions,
                           boolean carriesTraceContext) {
        public SiteInfo {
            functions = Set.copyOf(functions);
        }

        /** A site of a plugin whose calls stay in the server's JVM. */
        public SiteInfo(String plugin, String version, String transportId, String contract, Set<String> functions) {
            this(plugin, version, transportId, contract, functions, false);
        }

        /** A site of a plugin that declares no functions, whose calls stay in the server's JVM. */
        public SiteInfo(String plugin, String version, String transportId, String contract) {
            this(plugin, version, transportId, contract, Set.of());
        }
    }

    /** An observed call under way: the observers that saw it begin, and when. */
    private record Begun(MethodObserver[] observers, long start) {
    }

    public CallProbe(String[] methods, SiteInfo site, Function<CallSite, MethodObserver[]> observe) {
        this.methods = methods;
        this.site = site;
        this.observe = observe;
        this.byMethod = new MethodObserver[methods.length][];
    }

    /** The plugin's implementation changed (its version may have): observers are asked again. */
    public void retarget(SiteInfo next) {
        site = next;
        reset();
    }

    /** The set of observers changed: each method looks its observers up again on its next call. */
    void reset() {
        byMethod = new MethodObserver[methods.length][];
        byFunction = new ConcurrentHashMap<>();
    }

    /** @return the site the probe's calls are observed at now */
    public SiteInfo site() {
        return site;
    }

    /**
     * @param method the method's index in the facade class
     * @return what to hand to {@link #end}: null when nobody observes the call
     */
    public Object begin(int method) {
        MethodObserver[][] table = byMethod;
        MethodObserver[] observers = table[method];
        if (observers == null) {
            observers = lookUp(table, method);
        }
        return begin(observers);
    }

    /**
     * A call of {@link io.atrium.api.Invocable#call}: observed as the function it names when the plugin
     * declares it, else as the method.
     *
     * @param method   the method's index in the facade class
     * @param function the function called
     * @return what to hand to {@link #end}: null when nobody observes the call
     */
    public Object begin(int method, String function) {
        if (function == null || !site.functions().contains(function)) {
            return begin(method);
        }
        Map<String, MethodObserver[]> table = byFunction;
        MethodObserver[] observers = table.get(function);
        if (observers == null) {
            observers = observersOf(function);
            table.put(function, observers); // as for methods: a race only asks twice
        }
        return begin(observers);
    }

    private Object begin(MethodObserver[] observers) {
        if (observers.length == 0) {
            return null;
        }
        for (MethodObserver o : observers) {
            try {
                o.begin();
            } catch (RuntimeException | LinkageError e) {
                // an observer's bug never fails a plugin call
            }
        }
        return new Begun(observers, System.nanoTime());
    }

    /**
     * @param begun   what {@link #begin} returned
     * @param failure what the call threw, or null
     */
    public void end(Object begun, Throwable failure) {
        if (begun == null) {
            return;
        }
        Begun call = (Begun) begun;
        long nanos = System.nanoTime() - call.start();
        MethodObserver[] observers = call.observers();
        CallOutcome outcome = CallOutcome.of(failure);
        for (int i = observers.length - 1; i >= 0; i--) { // reverse order: nested begin/end pairs stay nested
            try {
                observers[i].end(nanos, outcome, failure);
            } catch (RuntimeException | LinkageError e) {
                // as above
            }
        }
    }

    private MethodObserver[] lookUp(MethodObserver[][] table, int method) {
        MethodObserver[] result = observersOf(methods[method]);
        table[method] = result; // a race here only asks the observers twice
        return result;
    }

    private MethodObserver[] observersOf(String method) {
        SiteInfo s = site;
        MethodObserver[] found = observe.apply(new CallSite(s.plugin(), s.version(), s.transportId(), s.contract(), method, s.carriesTraceContext()));
        return found == null || found.length == 0 ? NONE : found;
    }
}
