package io.atrium.core.facade;

import io.atrium.api.PluginUnavailableException;
import io.atrium.core.calls.CallProbe;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One plugin's facade object (a class generated per contract, see {@link FacadeClass}) and the
 * implementation it forwards to. While there is none (a swap is in progress) a call waits for the
 * next one, up to a limit. While the plugin is down (it crashed and restarts, an operator stopped it,
 * it was removed) calls fail at once as unavailable, saying why, until it is given an implementation
 * again; once the facade is closed, for good.
 */
final class FacadeHandler {
    private final String plugin;
    private final long waitMillis;
    private final Object facade;
    private final Consumer<Object> facadeTarget;
    private Object target; // guarded by this; the facade has its own volatile copy for the fast path
    private Supplier<Object> pending; // guarded by this: gets the implementation on the first call
    /** Guarded by this: why calls fail while the plugin is down, asked at each call; null while it is up or swapping. */
    private Supplier<String> down;
    private final CallProbe probe;

    /** A facade with no implementation yet: set one with {@link #setTarget} or {@link #setLazyTarget}. */
    FacadeHandler(String plugin, Class<?> contract, long waitMillis, CallProbe probe) {
        this.plugin = plugin;
        this.waitMillis = waitMillis;
        this.probe = probe;
        this.facade = FacadeClass.newFacade(contract, this::awaitTarget, probe);
        this.facadeTarget = FacadeClass.setter(facade);
    }

    /**
     * Sets the implementation to be fetched on the first call, so that a DS component behind the
     * facade is only created when somebody uses it, as DS's delayed components promise.
     */
    synchronized void setLazyTarget(Supplier<Object> next) {
        down = null;
        pending = next;
        target = null;
        facadeTarget.accept(null);
        notifyAll();
    }

    /** @return the object consumers call: an instance of the contract */
    Object facade() {
        return facade;
    }

    /** @return where its calls are observed: it stays with the facade when the facade is given a new implementation */
    CallProbe probe() {
        return probe;
    }

    synchronized void setTarget(Object next) {
        if (next != null) {
            down = null;
        }
        pending = null;
        target = next;
        facadeTarget.accept(next);
        notifyAll();
    }

    /**
     * The plugin is down: calls fail at once, as unavailable, with the reason asked of {@code why} at each call
     * (it changes while the plugin restarts), until {@link #setLazyTarget} gives the facade an implementation again.
     */
    synchronized void down(Supplier<String> why) {
        setTarget(null);
        down = why;
    }

    /** For good: calls fail as unavailable, the plugin "was removed". */
    synchronized void close() {
        down(() -> "was removed");
    }

    /** The slow path of every facade method: called only when it found no implementation. */
    private synchronized Object awaitTarget() {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (true) {
            if (down != null) {
                throw new PluginUnavailableException(plugin, down.get());
            }
            if (target != null) {
                return target;
            }
            if (pending != null) {
                Object first = pending.get();
                if (first != null) {
                    setTarget(first);
                    return first;
                }
                pending = null; // the service went away before its first call
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new PluginUnavailableException(plugin, "was being replaced and did not come back within " + waitMillis + " ms");
            }
            try {
                wait(left / 1_000_000 + 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PluginUnavailableException(plugin, "the call was interrupted while the plugin was being replaced");
            }
        }
    }
}
