package io.atrium.transport.process;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.transport.process.host.Launcher;
import io.atrium.transport.process.host.OrphanGuard;
import io.atrium.transport.process.host.SupervisedPlugin;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.process.protocol.Protocol;
import io.atrium.transport.support.CapabilityPolicy;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.PolicyConfigurations;
import io.atrium.transport.support.Contracts;
import io.atrium.transport.support.DeployedPlugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Deploys {@code NAME.plugin.json} manifests from the plugin folder as process plugins, and tells the
 * registry about them in every state. Capability policy comes from the configuration
 * {@code io.atrium.capabilities}: each key a contract's name, each value the capabilities its plugins
 * must declare (e.g. {@code io.atrium.api.greeting.Greeter = greet, style;version=2}).
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class}, property = ArtifactHandler.SUFFIX + "=" + PluginManifest.SUFFIX,
        configurationPid = ProcessTransport.CAPABILITIES_PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class ProcessTransport implements ArtifactHandler, PluginProvider {
    /** The configuration listing, per contract, the capabilities every plugin of it must declare. */
    public static final String CAPABILITIES_PID = CapabilityPolicy.PID;
    /** Framework property with the distribution's folder (io.atrium.runtime.launcher.Main sets it); plugins get it as ATRIUM_HOME. */
    static final String HOME_PROPERTY = "atrium.home";
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.process");

    private final BundleContext context;
    private final ScheduledExecutorService timers;
    private final ExecutorService work;
    private final Launcher launcher;
    private final DeployedPlugins<SupervisedPlugin> plugins = new DeployedPlugins<>(SupervisedPlugin::name, p -> p.manifest().file());
    /** From the core's trust policy and configuration io.atrium.capabilities: what a manifest must bring. */
    private volatile ManifestPolicy policy;
    /** The core's trust policy: nothing is deployed before it is known. */
    private final io.atrium.spi.TransportTrust trust;
    /** Plugins deployed while the framework was still starting: launched once it has (see {@link #launchWhenStarted}). */
    private final List<SupervisedPlugin> deferred = new ArrayList<>();
    private boolean frameworkStarted;
    private final FrameworkListener startedListener = event -> {
        if (event.getType() == FrameworkEvent.STARTED) {
            launchDeferred();
        }
    };

    /** Where installs, updates, crashes and restarts are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Activate
    public ProcessTransport(BundleContext context, Map<String, Object> config,
                            @Reference(bind = "trustChanged", updated = "trustChanged") io.atrium.spi.TransportTrust trust) {
        this.context = context;
        this.trust = trust;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "atrium-process-supervisor"));
        this.work = Executors.newCachedThreadPool(r -> daemon(r, "atrium-process-launcher"));
        String home = context.getProperty(HOME_PROPERTY);
        this.guard = OrphanGuard.start();
        this.launcher = new Launcher(home == null ? Map.of() : Map.of(Protocol.HOME_ENV, home), context.getDataFile("verified").toPath(), guard);
        modified(config);
        // a plugin that stops reading its stdin would hold a writer for good: bounded here (PluginProcess.checkWrites)
        timers.scheduleWithFixedDelay(() -> {
            try {
                plugins.all().forEach(SupervisedPlugin::checkWrites);
            } catch (RuntimeException e) { // a fixed-delay task that throws is never run again
                LOG.log(java.util.logging.Level.WARNING, "checking the plugins' stdin writes failed: " + e, e);
            }
        }, 250, 250, TimeUnit.MILLISECONDS);
        context.addFrameworkListener(startedListener);
        if (context.getBundle(0).getState() == Bundle.ACTIVE) {
            launchDeferred();
        }
    }

    /** Kills the plugins' processes when the server ends without stopping them (SIGKILL, a crash). */
    private final OrphanGuard guard;

    @Modified
    void modified(Map<String, Object> config) {
        policy = ManifestPolicy.of("process", trust, PolicyConfigurations.read(context, config, List.of(CAPABILITIES_PID)));
        trustSeen = policy.trustGeneration();
        policyChanged();
    }

    /**
     * The trust policy changed (its configuration, or a revocation list or trust store on disk): running
     * plugins are judged again. Told by the core's trust service (its generation property).
     */
    void trustChanged(io.atrium.spi.TransportTrust changed) {
        try {
            timers.execute(this::judgeAgain);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
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
            LOG.log(java.util.logging.Level.WARNING, "judging the plugins by the changed trust policy failed: " + e, e);
        }
    }

    /** The trust policy's generation as last judged by: a change since makes the running plugins be judged again. */
    private volatile long trustSeen;
    /** Each deployed manifest's bytes as judged at its deploy: what a changed policy judges again. */
    private final Map<Path, byte[]> deployedManifests = new java.util.concurrent.ConcurrentHashMap<>();

    /** A changed policy applies to running plugins too: a tightened security policy bites at once. */
    private void policyChanged() {
        ManifestPolicy now = policy;
        plugins.all().forEach(p -> p.policyChanged(now.capabilityRule(p.manifest().contract())));
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(startedListener);
        for (SupervisedPlugin p : List.copyOf(plugins.all())) {
            plugins.remove(p.manifest().file());
            p.stop();
        }
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS); // the processes' graceful shutdowns
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
        guard.close(); // after the graceful shutdowns: kills only what did not stop in time
    }

    // ------------------------------------------------------------------ the folder deployer's side

    @Override
    public String kind() {
        return "process";
    }

    @Override
    public Deployed deploy(Path file, byte[] content) {
        PluginManifest m;
        try {
            m = PluginManifest.parse(file, content);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a valid process plugin manifest: " + e.getMessage());
        }
        checkTrust(policy, file, content, m);
        java.util.List<Path> runs = new java.util.ArrayList<>(m.pins().keySet());
        try {
            runs.add(Launcher.executable(m));
            Launcher.verifyPins(m);
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw new IllegalArgumentException("cannot be run: " + e.getMessage());
        } catch (io.atrium.api.PluginRejectedException e) {
            throw new IllegalArgumentException("is refused: " + e.reason());
        }
        policy.checkLinks(m.folder(), runs); // what runs from the folder is judged as the folder's files are
        Class<?> contract = Contracts.load(context.getBundle(), m.contract(), m.contractVersion());
        plugins.checkNameFree(m.name(), m.file());
        SupervisedPlugin existing = plugins.get(m.file());
        if (existing != null && existing.contract() == contract && existing.name().equals(m.name())) {
            existing.redeploy(m);
            record(m.name(), LifecycleEvent.UPDATE);
        } else {
            if (existing != null) {
                existing.stop();
                record(existing.name(), LifecycleEvent.UNINSTALL);
            }
            record(m.name(), LifecycleEvent.INSTALL);
            SupervisedPlugin p = new SupervisedPlugin(context, timers, work, launcher, m, contract, caps -> refusal(m.file(), caps),
                    (event, reason) -> record(m.name(), event, reason));
            deployedManifests.put(m.file(), content);
            plugins.put(m.file(), p);
            launchWhenStarted(p);
        }
        deployedManifests.put(m.file(), content);
        return new Deployed(m.name() + " " + m.version(), m.name(), ManifestPolicy.watched(file, m.ownFiles()));
    }

    /**
     * Plugins found while the server starts are launched once it has: a process's start-up (an
     * interpreter, a JVM) would otherwise compete for the CPUs with the server's own, and the server
     * would be ready later. They are listed as starting meanwhile.
     */
    private synchronized void launchWhenStarted(SupervisedPlugin p) {
        if (frameworkStarted) {
            p.start();
        } else {
            deferred.add(p);
        }
    }

    private synchronized void launchDeferred() {
        frameworkStarted = true;
        deferred.forEach(SupervisedPlugin::start);
        deferred.clear();
    }

    @Override
    public void undeploy(Path file) {
        SupervisedPlugin p = plugins.remove(file);
        deployedManifests.remove(file);
        if (p != null) {
            p.stop();
            launcher.discardCopies(p.name());
            record(p.name(), LifecycleEvent.UNINSTALL);
            LOG.info("plugin '" + p.name() + "' stopped: " + file.getFileName() + " was removed");
        }
    }

    /** @return why the configuration refuses a plugin of this contract with these capabilities, or null */
    /**
     * Why the policy in force refuses a plugin (asked at every launch and when the policy changes): its
     * capabilities, or its manifest as it is on disk judged by the trust policy again (a key revoked, a
     * signature or pins required since it was deployed).
     */
    private String refusal(Path file, List<Capability> declared) {
        SupervisedPlugin p = plugins.get(file);
        byte[] content = deployedManifests.get(file);
        if (p == null || content == null) {
            return null; // being deployed: deploy judged it a moment ago
        }
        PluginManifest m = p.manifest();
        ManifestPolicy now = policy;
        String lacking = now.capabilityRefusal(m.contract(), declared);
        if (lacking != null) {
            return lacking;
        }
        return ManifestPolicy.trustRefusal(() -> checkTrust(now, file, content, m));
    }

    /**
     * What the trust policy asks of a manifest, at its deploy and again whenever it is asked while it runs:
     * the transports allowed, its signature, its pins, and pins on what its command runs.
     *
     * @throws IllegalArgumentException "is refused: …", one line
     */
    private static void checkTrust(ManifestPolicy policy, Path file, byte[] content, PluginManifest m) {
        policy.check(file, content, !m.pins().isEmpty(), "pins none of its files");
        policy.checkRunsPinned(io.atrium.transport.process.manifest.Program.unpinned(m));
    }

    // ------------------------------------------------------------------ the registry's and the shell's side

    @Override
    public List<PluginDescriptor> plugins() {
        return plugins.all().stream().map(SupervisedPlugin::descriptor).toList();
    }

    @Override
    public List<PluginProblem> problems() {
        return plugins.all().stream().map(SupervisedPlugin::problem).filter(Objects::nonNull).toList();
    }

    @Override
    public Map<String, String> details(String name) {
        return plugins.byName(name).map(SupervisedPlugin::details).orElse(Map.of());
    }

    @Override
    public boolean reload(String name) {
        var p = plugins.byName(name);
        p.ifPresent(SupervisedPlugin::reload);
        return p.isPresent();
    }

    @Override
    public boolean stop(String name) {
        var p = plugins.byName(name);
        p.ifPresent(SupervisedPlugin::stop);
        return p.isPresent();
    }

    @Override
    public boolean start(String name) {
        var p = plugins.byName(name);
        p.ifPresent(SupervisedPlugin::resume);
        return p.isPresent();
    }

    private void record(String plugin, LifecycleEvent event) {
        record(plugin, event, null);
    }

    private void record(String plugin, LifecycleEvent event, String reason) {
        PluginLifecycle l = lifecycle;
        if (l != null) {
            l.record(plugin, event, reason);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
