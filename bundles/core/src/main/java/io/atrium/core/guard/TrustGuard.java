package io.atrium.core.guard;

import io.atrium.core.deploy.FolderDeployer;
import io.atrium.core.trust.TrustPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.weaving.WeavingException;
import org.osgi.framework.hooks.weaving.WovenClass;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * No bundle outside the base set resolves unless the trust policy allows the bytes the framework will
 * load, whoever installed it: the plugin folder, {@code plugin:install}, {@code felix:install}, a plugin's
 * own {@code installBundle}, or the framework's cache at start (what was trusted once may have been
 * replaced while the server was stopped). Judged is the content the cache names ({@link CachedContent}),
 * once per content and policy. A refused bundle stays installed and unresolved (the resolver offers it
 * nothing), and none of its classes loads in any case (the weaving check); the log says so in one line,
 * and {@link #lastRefusal(Bundle)} tells the deployer and the problem report why.
 */
@Component(service = {ResolverHookFactory.class, TrustGuard.class}, immediate = true,
        property = TrustGuard.GUARD_PROPERTY + "=trust")
public final class TrustGuard implements ResolverHookFactory {
    /**
     * A service property of this hook: until a hook with it is registered, the runtime lets nothing outside
     * the base set resolve (io.atrium.runtime.internal.PluginGate.GUARD_FILTER, the same text).
     */
    public static final String GUARD_PROPERTY = "atrium.guard";
    private static final Logger LOG = Logger.getLogger("io.atrium.trust");

    /** A verdict on one content (its stamp) under one state of the policy. */
    private record Judged(String stamp, long generation, String refusal) {
    }

    private final TrustPolicy trust;
    private final Path storage;
    private final Map<Long, Judged> judged = new ConcurrentHashMap<>();
    @Activate
    public TrustGuard(BundleContext context, @Reference TrustPolicy trust) {
        this.trust = trust;
        String dir = context.getProperty(Constants.FRAMEWORK_STORAGE);
        this.storage = Path.of(dir == null ? "felix-cache" : dir).toAbsolutePath(); // Felix's default, relative to the working directory
    }

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new Resolve();
    }

    /**
     * One resolve: each bundle judged once in it, however many requirements and candidates name it
     * (a judgement reads the framework's cache folder: hundreds of times per resolve otherwise).
     */
    private final class Resolve implements ResolverHook {
        private final Map<Long, java.util.Optional<String>> verdicts = new java.util.HashMap<>();

        private String refusal(Bundle bundle) {
            return verdicts.computeIfAbsent(bundle.getBundleId(), id -> java.util.Optional.ofNullable(judge(bundle, true))).orElse(null);
        }

        @Override
        public void filterResolvable(Collection<BundleRevision> candidates) {
            // not here: Felix then offers the candidates left only, nothing already resolved, not even the framework's packages
        }

        @Override
        public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisionCandidates) {
        }

        /** A refused bundle is offered nothing, so it does not resolve; and nothing resolves against it. */
        @Override
        public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
            if (refusal(requirement.getRevision().getBundle()) != null) {
                candidates.clear();
            } else {
                candidates.removeIf(c -> refusal(c.getRevision().getBundle()) != null);
            }
        }

        @Override
        public void end() {
        }
    }

    /**
     * The backstop ({@link TrustWeaving} asks it): a bundle that requires nothing resolves whatever it is
     * offered, so a class of a refused bundle fails to load, and one of a bundle never judged (resolved
     * before the core ran) is judged first.
     */
    void weave(WovenClass woven) {
        Bundle bundle = woven.getBundleWiring().getBundle();
        // Constants only, as in ExitGuard: the core's own classes pass this hook too, while they are being defined.
        if (bundle.getBundleId() == 0 || bundle.getLocation().startsWith(FolderDeployer.BASE_LOCATION)) {
            return;
        }
        Judged j = judged.get(bundle.getBundleId());
        String refusal;
        try {
            refusal = j != null ? j.refusal() : judge(bundle, false);
        } catch (RuntimeException e) {
            refusal = "cannot be judged: " + e;
        }
        if (refusal != null) {
            throw new WeavingException("bundle " + bundle.getSymbolicName() + " [" + bundle.getBundleId() + "] is refused by the trust policy: "
                    + refusal + "; its class " + woven.getClassName() + " is not loaded");
        }
    }

    /**
     * Judges a bundle's current content under the policy in force now (again only when either changed).
     *
     * @param bundle any bundle
     * @return why the policy refuses it, one line, or null (the base set is never judged)
     */
    public String refusal(Bundle bundle) {
        return judge(bundle, false);
    }

    /** @return why the bundle was refused when it was last judged, without judging it again; or null */
    public String lastRefusal(Bundle bundle) {
        Judged j = judged.get(bundle.getBundleId());
        return j == null ? null : j.refusal();
    }

    private String judge(Bundle bundle, boolean resolving) {
        if (FragmentGuard.isServer(bundle)) {
            return null;
        }
        long id = bundle.getBundleId();
        CachedContent content;
        Path file;
        try {
            content = CachedContent.of(storage, id);
            file = content.file();
        } catch (IOException e) {
            content = null;
            file = storage.resolve("bundle" + id).resolve("bundle.jar"); // judged as missing: the policy says what that means
        }
        String stamp = content == null ? "unknown" : content.stamp();
        long generation = trust.generation();
        Judged before = judged.get(id);
        if (before != null && before.stamp().equals(stamp) && before.generation() == generation) {
            return before.refusal();
        }
        if (resolving && content != null && !content.reference()) {
            try {
                content.dropExtracted();
            } catch (IOException e) {
                return remember(id, stamp, generation, before, bundle, resolving,
                        "its inner jars extracted in the framework's cache cannot be removed to be extracted again from the judged jar: " + e.getMessage());
            }
        }
        String what = file + (content != null && content.reference() ? " (installed by reference, loaded where it lies)" : " (the framework's copy of it)");
        // The folder's and plugin:install's bundles were named at their deploy when warn let them in.
        boolean warnedOnce = FragmentGuard.isPlugin(bundle);
        TrustPolicy.Verdict verdict = trust.judge(file, bundle.getLocation(), warnedOnce);
        if (verdict.refusal() == null && resolving && (before == null || !before.stamp().equals(stamp))) {
            trust.installed(verdict);
        }
        return remember(id, stamp, generation, before, bundle, resolving, verdict.refusal() == null ? null : what + " " + verdict.refusal());
    }

    private String remember(long id, String stamp, long generation, Judged before, Bundle bundle, boolean resolving, String refusal) {
        judged.put(id, new Judged(stamp, generation, refusal));
        boolean news = before == null || !before.stamp().equals(stamp) || before.refusal() == null || !before.refusal().equals(refusal);
        if (refusal != null && resolving && news) {
            LOG.warning(io.atrium.transport.support.Escape.oneLine("bundle " + bundle.getSymbolicName() + " " + bundle.getVersion() + " ["
                    + id + "] from " + bundle.getLocation() + " is not resolved: " + refusal
                    + "; it stays installed and none of its code runs"));
        }
        return refusal;
    }
}
