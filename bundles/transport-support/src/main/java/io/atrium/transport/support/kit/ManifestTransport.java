package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.spi.TransportTrust;
import io.atrium.transport.support.Contracts;
import io.atrium.transport.support.DeployedPlugins;
import io.atrium.transport.support.Escape;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.PolicyConfigurations;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;

/**
 * A transport that deploys plugins from manifests in the plugin folder, as the folder deployer's
 * {@link ArtifactHandler} and the registry's {@link PluginProvider}: one plugin per manifest and per
 * name, the manifest judged by the trust policy and its contract found at deploy, installs, updates
 * and uninstalls told to the core's {@link PluginLifecycle}, and the plugins judged again when the
 * trust or capability policy changes (the core reads both and judges by them; its {@link TransportTrust}
 * tells when either configuration or the trust policy's files on disk change). A transport supplies
 * its manifest, its own deploy-time checks and its plugin type.
 *
 * <p>Deploy, undeploy and the swap of a plugin hold this object's lock; a plugin's slow work (a module's
 * start code) runs in {@link Supervisor#open}, outside it. Each plugin's life (its instance, reloads with
 * drain, crashes and restarts, refusals) is its {@link Supervisor}'s, on this transport's threads.
 *
 * @param <M> the transport's manifest
 * @param <P> the transport's plugin
 */
public abstract class ManifestTransport<M extends KitManifest, P extends Supervisor<M, ?>> implements ArtifactHandler, PluginProvider {
    private final String id;
    private final List<String> pids;
    private final Logger log;
    /** The transport's bundle context: its bundle loads the contracts and registers the plugins' services. */
    protected final BundleContext context;
    private final DeployedPlugins<P> plugins = new DeployedPlugins<>(P::name, p -> p.manifest().file());
    /** The manifests of the plugins an operator stopped: a redeploy or a changed policy starts none of them. */
    private final java.util.Set<Path> stoppedByOperator = ConcurrentHashMap.newKeySet();
    /** Each deployed manifest's bytes as judged at its deploy: what a changed policy judges again. */
    private final Map<Path, byte[]> deployedManifests = new ConcurrentHashMap<>();
    /** The core's trust and capability policies, as this transport asks them: what a manifest must bring. */
    private final ManifestPolicy policy;
    /** The policies' generation as last judged by: a change since makes the deployed plugins be judged again. */
    private volatile long trustSeen;
    /** Judges the deployed plugins again when the trust policy changes: off the core's thread that tells. */
    private final ExecutorService trustWatch;
    /** Where instances open and close, in the background. */
    private final ExecutorService work;
    /** Restarts after a backoff, and the transport's own periodic checks. */
    private final ScheduledExecutorService timers;

    /**
     * @param context the transport's bundle context
     * @param id      the transport's id, as plugin lists, the trust policy and messages name it, e.g. {@code process}: lower-case letters, digits and {@code -}, or the constructor throws IllegalArgumentException
     * @param trust   the core's trust and capability policies (a mandatory reference whose bind and updated methods call {@link #trustChanged()})
     * @param pids    the configurations its own settings are read from (e.g. {@code io.atrium.wasm}), none when it has none; never
     *                {@code io.atrium.trust} or {@code io.atrium.capabilities}, which the core reads
     */
    protected ManifestTransport(BundleContext context, String id, TransportTrust trust, List<String> pids) {
        this.context = context;
        this.id = PluginDescriptor.checkTransportId(id);
        this.pids = List.copyOf(pids);
        this.log = Logger.getLogger("io.atrium.transport." + id);
        this.policy = ManifestPolicy.of(id, Objects.requireNonNull(trust, "trust"));
        this.trustSeen = policy.trustGeneration();
        this.trustWatch = Executors.newSingleThreadExecutor(r -> daemon(r, "atrium-" + id + "-trust"));
        this.work = Executors.newCachedThreadPool(r -> daemon(r, "atrium-" + id + "-work"));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "atrium-" + id + "-timer"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** @return where the plugins' instances open and close, in the background */
    protected final ExecutorService work() {
        return work;
    }

    /** @return the transport's timer: restarts after a backoff, periodic checks (keep its tasks short: hand work to {@link #work()}) */
    protected final ScheduledExecutorService timers() {
        return timers;
    }

    // ------------------------------------------------------------------ what a transport supplies

    /**
     * @return the manifest
     * @throws IllegalArgumentException one line naming the field at fault
     */
    protected abstract M parse(Path file, byte[] content);

    /** @return why an unpinned manifest is refused when the trust policy requires pins, e.g. {@code does not pin its module} */
    protected abstract String unpinned();

    /** What the trust policy asks of this transport's manifests beyond signature and pins; nothing by default. */
    protected void checkTrust(ManifestPolicy policy, M m) {
    }

    /**
     * The transport's own checks at deploy (what it runs exists, what it grants is allowed), before the contract is loaded.
     *
     * @throws IllegalArgumentException one line
     */
    protected abstract void check(ManifestPolicy policy, M m);

    /** @return a new plugin of this manifest, not started */
    protected abstract P create(M m, Class<?> contract);

    /** A new plugin is listed: it starts ({@link Supervisor#started}); a transport may hold it back a while. */
    protected void started(P plugin) {
        plugin.started();
    }

    /** @return where installs, updates and failures are counted (the core's), or null */
    protected abstract PluginLifecycle lifecycle();

    /**
     * @return whether each call hands the plugin its trace context ({@link io.atrium.spi.CallTrace}) across the
     *         transport's boundary; the plugins' services then say so ({@link io.atrium.api.PluginProperties#TRACE_CONTEXT})
     *         and the tracer gives even their unsampled calls trace ids. False by default: calls that stay in the
     *         server's JVM need none, and an unsampled one costs no span.
     */
    protected boolean carriesTraceContext() {
        return false;
    }

    /** The plugin's manifest was removed and the plugin stopped; nothing more by default. */
    protected void removed(P plugin) {
    }

    // ------------------------------------------------------------------ the policy: the core's, asked live

    /**
     * Reads the transport's own settings from its configurations {@code pids} (those given to the
     * component, the others from the configuration admin). Call from the component's activation and
     * modification.
     *
     * @return the configurations' properties merged
     */
    protected final Map<String, Object> configure(Map<String, Object> given) {
        return PolicyConfigurations.read(context, given, pids);
    }

    /** @return the core's policies, as this transport asks them */
    protected final ManifestPolicy policy() {
        return policy;
    }

    /** A policy changed: every plugin is judged again (a tightened policy bites at once). */
    protected final void policyChanged() {
        for (P p : List.copyOf(plugins.all())) {
            if (!stoppedByOperator.contains(p.manifest().file())) { // judged when it is started again
                p.policyChanged(policy.capabilityRule(p.manifest().contract()));
            }
        }
    }

    /**
     * The core's trust or capability policy changed (a configuration, or a revocation list or trust store
     * on disk): the deployed plugins are judged again, on a thread of this transport's. Call from the trust
     * reference's bind and updated methods.
     */
    protected final void trustChanged() {
        try {
            trustWatch.execute(this::judgeAgain);
        } catch (RejectedExecutionException closed) {
            // deactivated: nothing to judge
        }
    }

    private void judgeAgain() {
        try {
            long seen = policy.trustGeneration();
            if (seen != trustSeen) {
                trustSeen = seen;
                policyChanged();
            }
        } catch (RuntimeException e) {
            log.log(Level.WARNING, "judging the plugins by the changed trust or capability policy failed: " + e, e);
        }
    }

    /**
     * Why the policy in force refuses a deployed plugin (asked at its launches and when the policy
     * changes): the capabilities it declares, by the core's capability policy, or its manifest as deployed
     * judged by the trust policy again (a key revoked, a signature or pins required since).
     *
     * @param file     the plugin's manifest
     * @param declared the capabilities the plugin declares
     * @return the reason, or null; null too for a plugin being deployed (its deploy judged it a moment ago)
     */
    public final String refusal(Path file, List<Capability> declared) {
        P p = plugins.get(file);
        byte[] content = deployedManifests.get(file);
        if (p == null || content == null) {
            return null;
        }
        M m = p.manifest();
        String lacking = policy.capabilityRefusal(m.contract(), declared);
        return lacking != null ? lacking : ManifestPolicy.trustRefusal(() -> trust(file, content, m));
    }

    /** What the trust policy asks of a manifest, at its deploy and whenever it is judged again. */
    private void trust(Path file, byte[] content, M m) {
        policy.check(file, content, m.pinned(), unpinned());
        checkTrust(policy, m);
    }

    // ------------------------------------------------------------------ the folder deployer's side

    @Override
    public final String kind() {
        return id;
    }

    @Override
    public final Deployed deploy(Path file, byte[] content) {
        M m;
        try {
            m = parse(file, content);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a valid " + id + " plugin manifest: " + e.getMessage());
        }
        try {
            return deploy(file, content, m);
        } catch (ArtifactHandler.Refused e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // refused with its manifest read: a change to its module or library deploys it again
            throw new ArtifactHandler.Refused(e.getMessage(), ManifestPolicy.watched(file, m.ownFiles()), e);
        }
    }

    private Deployed deploy(Path file, byte[] content, M m) {
        long judgedBy = policy.trustGeneration();
        trust(file, content, m);
        check(policy, m);
        Class<?> contract = Contracts.load(context.getBundle(), m.contract(), m.contractVersion());
        P plugin;
        P existing;
        synchronized (this) {
            plugins.checkNameFree(m.name(), m.file());
            existing = plugins.get(m.file());
            plugin = existing != null && existing.contract() == contract && existing.name().equals(m.name()) ? existing : create(m, contract);
        }
        Supervisor.Staged staged = plugin.prepare(m); // outside the lock: may run the plugin's start code
        synchronized (this) {
            existing = plugins.get(m.file());
            try {
                plugins.checkNameFree(m.name(), m.file()); // again: the lock was let go meanwhile
            } catch (IllegalArgumentException e) {
                staged.discard();
                throw e;
            }
            boolean update = plugin == existing;
            if (!update && existing != null) {
                // first: the same name under a new contract is a new plugin, whose counts its predecessor's uninstall must not end
                existing.stop();
                removed(existing); // as an undeploy: what the transport keeps for it goes too
                record(existing.name(), LifecycleEvent.UNINSTALL, null);
            }
            deployedManifests.put(m.file(), content);
            if (update && stoppedByOperator.contains(m.file())) {
                staged.discard(); // checked, and kept for its next start: what an operator stopped stays stopped
                plugin.adopt(m);
            } else {
                stoppedByOperator.remove(m.file()); // a new plugin (another contract) starts
                plugin.commit(staged, m, update);
            }
            record(m.name(), update ? LifecycleEvent.UPDATE : LifecycleEvent.INSTALL, null);
            if (!update) {
                plugins.put(m.file(), plugin);
                started(plugin); // only now: whoever finds its service can ask this transport about it
            }
        }
        if (policy.trustGeneration() != judgedBy && !stoppedByOperator.contains(m.file())) {
            // the policy changed while this deploy judged by the one before, and the judging of the running
            // plugins it set off may have come before this one was listed: it is judged by the policy in force
            plugin.policyChanged(policy.capabilityRule(m.contract()));
        }
        return new Deployed(m.name() + " " + m.version(), m.name(), ManifestPolicy.watched(file, m.ownFiles()));
    }

    @Override
    public final synchronized void undeploy(Path file) {
        P p = plugins.remove(file);
        deployedManifests.remove(file);
        stoppedByOperator.remove(file);
        if (p != null) {
            p.stop();
            removed(p);
            record(p.name(), LifecycleEvent.UNINSTALL, null);
            // a file's name may hold a line break: one line, not a forged second
            log.info("plugin '" + p.name() + "' stopped: " + Escape.oneLine(file.getFileName().toString()) + " was removed");
        }
    }

    /** Stops every plugin, waits a while for their instances to close, and ends the transport's threads: the component is going away. */
    protected final void close() {
        for (P p : List.copyOf(plugins.all())) {
            plugins.remove(p.manifest().file());
            p.stop();
        }
        deployedManifests.clear();
        stoppedByOperator.clear();
        trustWatch.shutdownNow();
        timers.shutdownNow();
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS); // the instances' graceful closes (a process is asked to exit first)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ the registry's and the shell's side

    @Override
    public final List<PluginDescriptor> plugins() {
        return plugins.all().stream().map(Supervisor::descriptor).toList();
    }

    @Override
    public final List<PluginProblem> problems() {
        return plugins.all().stream().map(Supervisor::problem).filter(Objects::nonNull).toList();
    }

    /** The transport's facts about the plugin, then those every transport's plugins have (its call timeout, unless the transport says it). */
    @Override
    public final Map<String, String> details(String name) {
        return plugins.byName(name).map(p -> {
            Map<String, String> d = new LinkedHashMap<>(p.details());
            d.putIfAbsent("call timeout", p.manifest().callTimeoutMs() + " ms");
            return d;
        }).orElse(Map.of());
    }

    /** A reload of a plugin an operator stopped starts it, as a stopped bundle's does. */
    @Override
    public final boolean reload(String name) {
        Optional<P> p = plugins.byName(name);
        p.ifPresent(plugin -> {
            if (stoppedByOperator.remove(plugin.manifest().file())) {
                plugin.start();
            } else {
                plugin.reload();
            }
        });
        return p.isPresent();
    }

    /** An operator's stop: the plugin stays stopped, whatever its manifest or the policies do, until it is started or reloaded. */
    @Override
    public final boolean stop(String name) {
        Optional<P> p = plugins.byName(name);
        p.ifPresent(plugin -> {
            stoppedByOperator.add(plugin.manifest().file());
            plugin.stop();
        });
        return p.isPresent();
    }

    @Override
    public final boolean start(String name) {
        Optional<P> p = plugins.byName(name);
        p.ifPresent(plugin -> {
            stoppedByOperator.remove(plugin.manifest().file());
            plugin.start();
        });
        return p.isPresent();
    }

    /** @return the deployed plugins */
    protected final Collection<P> deployed() {
        return plugins.all();
    }

    /** @return the plugin a manifest deploys now, or null */
    protected final P deployed(Path file) {
        return plugins.get(file);
    }

    /** Tells the core's lifecycle what happened to a plugin, and why (or null). */
    protected final void record(String plugin, LifecycleEvent event, String reason) {
        PluginLifecycle l = lifecycle();
        if (l != null) {
            l.record(plugin, event, reason);
        }
    }
}
