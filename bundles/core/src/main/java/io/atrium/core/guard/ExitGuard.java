package io.atrium.core.guard;

import io.atrium.core.deploy.FolderDeployer;
import org.osgi.framework.Bundle;
import org.osgi.framework.hooks.weaving.WeavingException;
import org.osgi.framework.hooks.weaving.WeavingHook;
import org.osgi.framework.hooks.weaving.WovenClass;
import org.osgi.service.component.annotations.Component;

/**
 * Weaves every class a plugin bundle loads (any bundle outside the server's base set) so that it
 * cannot end the server's JVM: see {@link ExitCallWeaver}. Registered by the core, which starts before
 * any plugin, so a plugin's first class is already seen.
 */
@Component(service = WeavingHook.class, immediate = true)
public final class ExitGuard implements WeavingHook {
    @Override
    public void weave(WovenClass woven) {
        Bundle bundle = woven.getBundleWiring().getBundle();
        // A constant, inlined: calling into another class of the core here could be asked while that very class
        // is being defined (the core's classes pass this hook too), and a hook that throws is dropped by Felix for good.
        if (bundle.getBundleId() == 0 || bundle.getLocation().startsWith(FolderDeployer.BASE_LOCATION)) {
            return;
        }
        byte[] rewritten;
        try {
            rewritten = ExitCallWeaver.weave(woven.getBytes(), bundle.getSymbolicName());
        } catch (RuntimeException | LinkageError e) {
            // A class ASM cannot read would not load either; fail its load with a reason rather than run it unwoven.
            throw new WeavingException("plugin " + bundle.getSymbolicName() + ": class " + woven.getClassName()
                    + " cannot be checked for calls that end the server: " + e, e);
        }
        if (rewritten != null) {
            woven.setBytes(rewritten);
        }
    }
}
