package io.atrium.core.calls;

import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
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

    /** What a site is made of, less the method. */
    public record SiteInfo(String plugin, String version, String transportId, String contract) {
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
        SiteInfo s = site;
        MethodObserver[] found = observe.apply(new CallSite(s.plugin(), s.version(), s.transportId(), s.contract(), methods[method]));
        MethodObserver[] result = found == null || found.length == 0 ? NONE : found;
        table[method] = result; // a race here only asks the observers twice
        return result;
    }
}
