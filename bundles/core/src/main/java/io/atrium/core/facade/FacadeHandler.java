package io.atrium.core.facade;

import io.atrium.api.PluginUnavailableException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Forwards a facade's calls to the plugin's current implementation. While there is none (a swap is
 * in progress) a call waits for the next one, up to a limit; once the facade is closed, calls fail as
 * unavailable.
 */
final class FacadeHandler implements InvocationHandler {
    private final String plugin;
    private final Class<?> contract;
    private final long waitMillis;
    private final Object proxy;
    private volatile Object target;
    private volatile boolean closed;

    FacadeHandler(String plugin, Class<?> contract, Object target, long waitMillis) {
        this.plugin = plugin;
        this.contract = contract;
        this.target = target;
        this.waitMillis = waitMillis;
        this.proxy = Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] {contract}, this);
    }

    Object proxy() {
        return proxy;
    }

    void setTarget(Object next) {
        synchronized (this) {
            target = next;
            notifyAll();
        }
    }

    void close() {
        synchronized (this) {
            closed = true;
            target = null;
            notifyAll();
        }
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> self == args[0];
                case "hashCode" -> System.identityHashCode(self);
                default -> "plugin '" + plugin + "' (" + contract.getSimpleName() + ")";
            };
        }
        Object t = target;
        if (t == null) {
            t = awaitTarget();
        }
        try {
            return method.invoke(t, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private Object awaitTarget() throws InterruptedException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        synchronized (this) {
            while (target == null) {
                long left = deadline - System.nanoTime();
                if (closed || left <= 0) {
                    throw new PluginUnavailableException(plugin, closed ? "was removed" : "was being replaced and did not come back within "
                            + waitMillis + " ms");
                }
                wait(left / 1_000_000 + 1);
            }
            return target;
        }
    }
}
