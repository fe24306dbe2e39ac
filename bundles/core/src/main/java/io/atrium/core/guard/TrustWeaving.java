package io.atrium.core.guard;

import org.osgi.framework.hooks.weaving.WeavingHook;
import org.osgi.framework.hooks.weaving.WovenClass;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The weaving side of {@link TrustGuard}, a component of its own that needs nothing to be made: a
 * weaving hook is asked for every class the framework defines, the core's own among them, so one
 * whose making activates other components (the trust policy, the secrets) is asked for itself while
 * it is being made, and Declarative Services then gives the framework no hook at all. Until the guard
 * is there nothing outside the base set resolves (the runtime's gate), so no plugin class is defined.
 */
@Component(service = WeavingHook.class, immediate = true)
public final class TrustWeaving implements WeavingHook {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile TrustGuard guard;

    @Override
    public void weave(WovenClass woven) {
        TrustGuard g = guard;
        if (g != null) {
            g.weave(woven);
        }
    }
}
