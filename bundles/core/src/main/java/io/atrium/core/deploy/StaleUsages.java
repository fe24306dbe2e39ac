package io.atrium.core.deploy;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Works around a leak of Felix 7.0.5's service registry: a bundle with DS components leaves behind, once
 * uninstalled, a usage of Config Admin with a count of zero, which keeps its {@code BundleImpl} and
 * revision for the server's life (docs/reliability.md shows the heap path). After the deployer uninstalls
 * plugins, the registry's entries of uninstalled bundles whose every usage count is zero are dropped:
 * such a bundle can never get or unget a service again. Reached by reflection into the framework's
 * private fields; on another framework, or a Felix whose fields differ, it does nothing (said once).
 */
final class StaleUsages {
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");
    private final Map<?, ?> inUse;

    private StaleUsages(Map<?, ?> inUse) {
        this.inUse = inUse;
    }

    /** @return the remover for this framework, or one that does nothing where the framework is not the Felix it knows */
    static StaleUsages of(BundleContext context) {
        try {
            Object felix = context.getBundle(0);
            Field registry = field(felix.getClass(), "m_registry");
            Object reg = registry.get(felix);
            Object map = field(reg.getClass(), "m_inUseMap").get(reg);
            return new StaleUsages((Map<?, ?>) map);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.fine("the framework's service usages cannot be tidied here (" + e + "); uninstalled DS plugins may stay in memory");
            return new StaleUsages(null);
        }
    }

    /** @return how many uninstalled bundles' stale usages were dropped */
    int dropUninstalled() {
        if (inUse == null) {
            return 0;
        }
        int dropped = 0;
        try {
            for (var it = inUse.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey() instanceof Bundle b && b.getState() == Bundle.UNINSTALLED && allZero(e.getValue())) {
                    it.remove();
                    dropped++;
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.fine("the framework's service usages could not be tidied: " + e);
        }
        return dropped;
    }

    private static boolean allZero(Object usages) throws ReflectiveOperationException {
        if (!(usages instanceof Object[] counts)) {
            return false;
        }
        for (Object usage : counts) {
            for (String name : new String[] {"m_count", "m_serviceObjectsCount"}) {
                if (field(usage.getClass(), name).get(usage) instanceof AtomicLong n && n.get() != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException next) {
                // up the hierarchy
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }
}
