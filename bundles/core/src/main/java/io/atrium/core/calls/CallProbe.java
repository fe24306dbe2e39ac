package io.atrium.core.calls;

import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.MethodObserver;
import java.util.function.Function;

/**
 * One plugin facade's instrumentation: the generated facade class calls {@link #begin} and
 * {@link #end} around every contract method call (see io.atrium.core.facade.FacadeClass). With no
 * observer, a call costs a volatile read and an array length check more; the observers of a method
 * are looked up on its first call, and again after {@link #reset}.
 */
public final class CallProbe {
    /** What {@link #begin} returns when nobody observes the call. */
    public static final long NOT_OBSERVED = Long.MIN_VALUE;
    private static final MethodObserver[] NONE = new MethodObserver[0];

    private final String[] methods;
    private final Function<CallSite, MethodObserver[]> observe;
    private volatile SiteInfo site;
    /** Per method index: its observers, or null until its next call looks them up. */
    private volatile MethodObserver[][] byMethod;
    /**
     * The table before the last reset: a call begun before it ends on the observers that saw it begin
     * (a tracer must close the span it opened, whatever was reset meanwhile).
     */
    private volatile MethodObserver[][] retired;

    /** What a site is made of, less the method. */
    public record SiteInfo(String plugin, String version, io.atrium.api.Transport transport, String contract) {
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
        retired = byMethod;
        byMethod = new MethodObserver[methods.length][];
    }

    /**
     * @param method the method's index in the facade class
     * @return the start time to hand to {@link #end}, or {@link #NOT_OBSERVED}
     */
    public long begin(int method) {
        MethodObserver[][] table = byMethod;
        MethodObserver[] observers = table[method];
        if (observers == null) {
            observers = lookUp(table, method);
        }
        if (observers.length == 0) {
            return NOT_OBSERVED;
        }
        for (MethodObserver o : observers) {
            try {
                o.begin();
            } catch (RuntimeException | LinkageError e) {
                // an observer's bug never fails a plugin call
            }
        }
        return System.nanoTime();
    }

    /**
     * @param method  the method's index in the facade class
     * @param start   what {@link #begin} returned
     * @param failure what the call threw, or null
     */
    public void end(int method, long start, Throwable failure) {
        if (start == NOT_OBSERVED) {
            return;
        }
        long nanos = System.nanoTime() - start;
        MethodObserver[] observers = byMethod[method];
        if (observers == null) { // reset during the call: end it on the observers that saw it begin
            MethodObserver[][] before = retired;
            observers = before == null ? null : before[method];
            if (observers == null) {
                return;
            }
        }
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
        MethodObserver[] found = observe.apply(new CallSite(s.plugin(), s.version(), s.transport(), s.contract(), methods[method]));
        MethodObserver[] result = found == null || found.length == 0 ? NONE : found;
        table[method] = result; // a race here only asks the observers twice
        return result;
    }
}
