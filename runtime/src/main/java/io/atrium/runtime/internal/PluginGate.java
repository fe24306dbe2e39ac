package io.atrium.runtime.internal;

import java.util.Collection;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Nothing outside the base set resolves before the core's trust guard can judge it: the framework's
 * cache brings back every bundle installed before (a plugin, a {@code felix:install}), and resolving the
 * base set, or starting what is marked to start at a low level, would resolve them too, before the core
 * runs. Registered on the framework before anything resolves; open while the core's guard (a resolver
 * hook with {@code atrium.guard=trust}) is registered, closed again while the core is being refreshed.
 * Closed, it offers such a bundle no capability and offers none of its capabilities to others; one that
 * requires nothing at all resolves even so, but none of its classes loads before the core judged it
 * (the core's weaving check).
 */
public final class PluginGate implements ResolverHookFactory {
    /** The core's guard (io.atrium.core.guard.TrustGuard.GUARD_PROPERTY, the same text). */
    static final String GUARD_FILTER = "(atrium.guard=trust)";
    private final BundleContext context;
    private final ResolverHook open = new Hook(false);
    private final ResolverHook closed = new Hook(true);

    private static final class Hook implements ResolverHook {
        private final boolean closed;

        Hook(boolean closed) {
            this.closed = closed;
        }

        @Override
        public void filterResolvable(Collection<BundleRevision> candidates) {
            // not here: Felix then offers only the candidates left, and nothing already resolved, not even the framework's packages
        }

        @Override
        public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisionCandidates) {
        }

        /** A bundle outside the base set is offered nothing (so it does not resolve), and offers nothing. */
        @Override
        public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
            if (!closed) {
                return;
            }
            if (!isServer(requirement.getRevision().getBundle())) {
                candidates.clear();
            } else {
                candidates.removeIf(c -> !isServer(c.getRevision().getBundle()));
            }
        }

        @Override
        public void end() {
        }
    }

    private PluginGate(BundleContext context) {
        this.context = context;
    }

    /**
     * Registers the gate, and moves whatever is outside the base set and marked to start below the
     * plugins' start level up to it: started before the core, it could not resolve (a {@code felix:install}ed
     * bundle starts at level 1 unless told otherwise); at the plugins' level the core's guard judges it.
     *
     * @param context     the system bundle's context, the framework initialised and not started
     * @param pluginLevel the plugins' start level
     * @param extras      the locations of the embedding product's own bundles, which keep their level
     */
    public static void close(BundleContext context, int pluginLevel, java.util.Set<String> extras) {
        context.registerService(ResolverHookFactory.class, new PluginGate(context), null);
        for (Bundle b : context.getBundles()) {
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            if (!isServer(b) && !extras.contains(b.getLocation()) && level.getStartLevel() < pluginLevel) {
                level.setStartLevel(pluginLevel);
            }
        }
    }

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        try {
            // all references, whatever class space they come from: the runtime's and the core's may differ when embedded
            return context.getAllServiceReferences(ResolverHookFactory.class.getName(), GUARD_FILTER) == null ? closed : open;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // a constant filter
        }
    }

    static boolean isServer(Bundle b) {
        return b.getBundleId() == 0 || b.getLocation().startsWith(BaseBundles.LOCATION_PREFIX);
    }
}
