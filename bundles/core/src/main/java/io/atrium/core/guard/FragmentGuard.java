package io.atrium.core.guard;

import io.atrium.core.deploy.FolderDeployer;
import java.util.Collection;
import org.osgi.framework.Bundle;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Component;

/**
 * No plugin bundle (from the folder or {@code plugin:install}) attaches as a fragment to the framework or
 * to a bundle of the base set, whenever its host comes: the deployer refuses such a file by
 * name, but part of the base set (the HTTP stack, the transports) is installed only after the server is
 * ready, when the deployer has already judged the folder. The resolver offers such a fragment no host.
 */
@Component(service = ResolverHookFactory.class, immediate = true)
public final class FragmentGuard implements ResolverHookFactory {
    private static final ResolverHook HOOK = new ResolverHook() {
        @Override
        public void filterResolvable(Collection<BundleRevision> candidates) {
        }

        @Override
        public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisionCandidates) {
        }

        @Override
        public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
            if (HostNamespace.HOST_NAMESPACE.equals(requirement.getNamespace()) && isPlugin(requirement.getRevision().getBundle())) {
                candidates.removeIf(host -> isServer(host.getRevision().getBundle()));
            }
        }

        @Override
        public void end() {
        }
    };

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return HOOK;
    }

    /** Constants inlined, as in {@link ExitGuard}: a product's own extra bundles may still be fragments of the base set. */
    static boolean isPlugin(Bundle b) {
        return b.getLocation().startsWith(FolderDeployer.FOLDER_LOCATION) || b.getLocation().startsWith(FolderDeployer.INSTALL_LOCATION);
    }

    static boolean isServer(Bundle b) {
        return FolderDeployer.isServer(b);
    }
}
