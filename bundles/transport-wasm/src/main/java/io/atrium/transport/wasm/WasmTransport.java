package io.atrium.transport.wasm;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.transport.support.CapabilityPolicy;
import io.atrium.transport.support.Contracts;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.DeployedPlugins;
import io.atrium.transport.wasm.engine.CompiledCache;
import io.atrium.transport.wasm.engine.Deadlines;
import io.atrium.transport.wasm.engine.MemoryBudget;
import io.atrium.transport.wasm.engine.WasmPlugin;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Deploys {@code NAME.wasm.json} manifests (and the modules they name) from the plugin folder as wasm
 * plugins, and tells the registry about them. Modules are compiled to JVM bytecode once; the classes
 * are kept in this bundle's data area by the module's digest, sealed against change, so a restart or
 * reload does not compile again. All instances of all wasm plugins share one heap budget,
 * {@value #BUDGET_PROPERTY} (MiB, a quarter of the maximum heap by default).
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class}, property = ArtifactHandler.SUFFIX + "=" + WasmManifest.SUFFIX,
        configurationPid = {WasmTransport.CONFIG_PID, CapabilityPolicy.PID}, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class WasmTransport implements ArtifactHandler, PluginProvider {
    /** The configuration of the sandbox policy; {@code allowedRoots} lists the folders manifests may grant from. */
    public static final String CONFIG_PID = "io.atrium.wasm";
    /** Framework property: the MiB of Java heap all wasm instances together may claim. */
    public static final String BUDGET_PROPERTY = "atrium.wasm.memoryBudgetMb";
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.wasm");

    private final BundleContext context;
    private final MemoryBudget budget;
    private final Deadlines deadlines = new Deadlines();
    private final CompiledCache cache;
    private final DeployedPlugins<WasmPlugin> plugins = new DeployedPlugins<>(WasmPlugin::name, p -> p.manifest().file());
    private volatile List<Path> allowedRoots = List.of();

    /** Where installs, updates and uninstalls are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Activate
    public WasmTransport(BundleContext context, Map<String, Object> config,
                         @Reference(bind = "trustChanged", updated = "trustChanged") io.atrium.spi.TransportTrust trust) {
        this.context = context;
        this.trust = trust;
        modified(config);
        String mb = context.getProperty(BUDGET_PROPERTY);
        long bytes = mb != null ? Long.parseLong(mb.trim()) << 20 : Runtime.getRuntime().maxMemory() / 4;
        this.budget = new MemoryBudget(bytes);
        java.io.File dir = context.getDataFile("compiled");
        this.cache = dir == null ? null
                : new CompiledCache(dir.toPath(), new io.atrium.transport.support.Seal(context.getDataFile("seal.key").toPath()),
                        context.getBundle().getVersion() + "@" + context.getBundle().getLastModified());
    }

    /** From the core's trust policy and configuration io.atrium.capabilities: what a manifest must bring. */
    private volatile ManifestPolicy policy;
    /** The core's trust policy: nothing is deployed before it is known. */
    private final io.atrium.spi.TransportTrust trust;

    @Modified
    void modified(Map<String, Object> given) {
        Map<String, Object> config = io.atrium.transport.support.PolicyConfigurations.read(context, given,
                List.of(CONFIG_PID, CapabilityPolicy.PID));
        policy = ManifestPolicy.of("wasm", trust, config);
        trustSeen = policy.trustGeneration();
        List<String> accepted;
        synchronized (this) {
            accepted = reexamine();
        }
        for (String name : accepted) { // loaded and published again, outside the lock: their start code runs
            try {
                reload(name);
            } catch (io.atrium.api.PluginException e) {
                LOG.warning(e.getMessage());
            }
        }
        List<Path> roots = new ArrayList<>();
        for (String root : io.atrium.transport.support.ManifestFields.values(config.get("allowedRoots"))) {
            roots.add(Path.of(root).toAbsolutePath().normalize());
        }
        allowedRoots = List.copyOf(roots);
    }

    /**
     * A changed capability policy applies to deployed plugins too: refused now, or accepted again.
     * Under the transport's lock.
     *
     * @return the plugins accepted again, to reload
     */
    private List<String> reexamine() {
        List<String> accepted = new ArrayList<>();
        for (WasmPlugin p : plugins.all()) {
            String refusal = refusalNow(p.manifest());
            if (refusal != null && p.refusal() == null) {
                p.refuse(refusal);
                LOG.warning("plugin '" + p.name() + "' is refused: " + refusal);
            } else if (refusal == null && p.refusal() != null) {
                accepted.add(p.name());
            }
        }
        return accepted;
    }

    /**
     * Why the policy in force refuses a deployed plugin: its capabilities, or its manifest as it is on
     * disk judged by the trust policy again (a key revoked, a signature or a pin required since).
     */
    private String refusalNow(WasmManifest m) {
        String lacking = policy.capabilityRefusal(m.contract(), m.capabilities());
        byte[] content = deployedManifests.get(m.file());
        return lacking != null ? "it " + lacking
                : content == null ? null : ManifestPolicy.trustRefusal(() -> checkTrust(m.file(), content, m));
    }

    /** Each deployed manifest's bytes as judged at its deploy: what a changed policy judges again. */
    private final Map<Path, byte[]> deployedManifests = new java.util.concurrent.ConcurrentHashMap<>();
    /** What the trust policy asks of a manifest, at its deploy and again whenever the policy or its files change. */
    private void checkTrust(Path file, byte[] content, WasmManifest m) {
        policy.check(file, content, m.sha256() != null, "does not pin its module");
    }

    /** The trust policy's generation as last judged by: a change since makes the deployed plugins be judged again. */
    private volatile long trustSeen;
    /** Judges the deployed plugins again when the trust policy changes: off the core's thread that tells. */
    private final java.util.concurrent.ExecutorService trustWatch = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "atrium-wasm-trust");
        t.setDaemon(true);
        return t;
    });

    /** Told by the core's trust service (its generation property): its configuration or its files changed. */
    void trustChanged(io.atrium.spi.TransportTrust changed) {
        try {
            trustWatch.execute(this::judgeAgain);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // deactivated: nothing to judge
        }
    }

    private void judgeAgain() {
        try {
            long seen = policy.trustGeneration();
            if (seen == trustSeen) {
                return;
            }
            trustSeen = seen;
            List<String> accepted;
            synchronized (this) {
                accepted = reexamine();
            }
            for (String name : accepted) {
                reload(name);
            }
        } catch (RuntimeException e) {
            LOG.log(java.util.logging.Level.WARNING, "judging the plugins by the changed trust policy failed: " + e, e);
        }
    }

    /** Each folder a manifest grants must exist and lie inside a root the configuration allows, links resolved. */
    private void checkGrants(WasmManifest m) {
        for (WasmManifest.Grant grant : m.allowedPaths()) {
            Path host = grant.host();
            Path real;
            try {
                real = host.toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("grants the folder " + host + ", which does not exist");
            }
            if (!Files.isDirectory(real)) {
                throw new IllegalArgumentException("grants " + host + ", which is not a folder");
            }
            boolean inside = false;
            for (Path root : allowedRoots) {
                try {
                    inside |= real.startsWith(root.toRealPath());
                } catch (IOException missingRoot) {
                    // a root that does not exist allows nothing
                }
            }
            if (!inside) {
                throw new IllegalArgumentException("grants the folder " + host + ", outside what the configuration " + CONFIG_PID
                        + " allows (allowedRoots: " + (allowedRoots.isEmpty() ? "none" : allowedRoots) + ")");
            }
        }
    }

    @Deactivate
    void deactivate() {
        for (WasmPlugin p : List.copyOf(plugins.all())) {
            plugins.remove(p.manifest().file());
            p.stop();
        }
        deadlines.close();
        trustWatch.shutdownNow();
    }

    @Override
    public String kind() {
        return "wasm";
    }

    /**
     * Checks the manifest, loads its module and makes the first instance, then makes it the plugin's.
     * Only the checks and the swap hold the transport's lock, never the module's start code (it runs
     * under its deadline): one change at a time, and a module that never starts holds up nothing else.
     */
    @Override
    public Deployed deploy(Path file, byte[] content) {
        WasmManifest m;
        try {
            m = WasmManifest.parse(file, content);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a valid wasm plugin manifest: " + e.getMessage());
        }
        checkTrust(file, content, m);
        String lacking = policy.capabilityRefusal(m.contract(), m.capabilities());
        if (lacking != null) {
            throw new IllegalArgumentException("is refused: it " + lacking);
        }
        Class<?> contract = Contracts.load(context.getBundle(), m.contract(), m.contractVersion());
        checkGrants(m);
        byte[] module = module(m);
        WasmPlugin plugin;
        synchronized (this) {
            plugins.checkNameFree(m.name(), m.file());
            WasmPlugin existing = plugins.get(m.file());
            plugin = existing != null && existing.contract() == contract && existing.name().equals(m.name())
                    ? existing : new WasmPlugin(context, contract, budget, deadlines, cache);
        }
        WasmPlugin.Next next;
        try {
            next = plugin.prepare(m, module);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("was not deployed: " + e.getMessage());
        }
        synchronized (this) {
            WasmPlugin existing = plugins.get(m.file());
            try {
                plugins.checkNameFree(m.name(), m.file()); // again: the lock was let go meanwhile
            } catch (IllegalArgumentException e) {
                next.discard();
                throw e;
            }
            plugin.commit(next, false);
            record(m.name(), plugin == existing ? LifecycleEvent.UPDATE : LifecycleEvent.INSTALL);
            if (plugin != existing) {
                if (existing != null) {
                    existing.stop();
                    record(existing.name(), LifecycleEvent.UNINSTALL);
                }
                plugins.put(m.file(), plugin);
            }
            deployedManifests.put(m.file(), content);
            plugin.publish(); // only now: whoever finds the service can ask this transport about the plugin
        }
        return new Deployed(m.name() + " " + m.version(), m.name(), ManifestPolicy.watched(file, m.files()));
    }

    /**
     * Reads the module once: the bytes hashed against its pin are the bytes compiled. A module that is a
     * link leading outside the plugin folder is refused, as the folder lists it.
     *
     * @throws IllegalArgumentException one line: refused, missing or unreadable
     */
    private byte[] module(WasmManifest m) {
        try {
            // read where the check looked, the last name not followed: a link swapped in after the check is not read through
            Path checked = policy.checked(m.file().toAbsolutePath().getParent(), m.module());
            try (var in = Files.newInputStream(checked, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return in.readAllBytes();
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("names the module " + m.module().getFileName() + ", which is missing");
        } catch (IOException e) {
            throw new IllegalArgumentException("names the module " + m.module().getFileName() + ", which cannot be read: " + e.getMessage());
        }
    }

    @Override
    public synchronized void undeploy(Path file) {
        WasmPlugin p = plugins.remove(file);
        deployedManifests.remove(file);
        if (p != null) {
            p.stop();
            record(p.name(), LifecycleEvent.UNINSTALL);
            LOG.info("plugin '" + p.name() + "' stopped: " + file.getFileName() + " was removed");
        }
    }

    @Override
    public List<PluginDescriptor> plugins() {
        return plugins.all().stream().map(WasmPlugin::descriptor).toList();
    }

    @Override
    public List<PluginProblem> problems() {
        // a module that does not load is refused at deployment, with its reason in plugin:deploys; one
        // deployed, then refused by a changed capability policy, is a problem of its own
        return plugins.all().stream().filter(p -> p.refusal() != null)
                .map(p -> new PluginProblem(p.name(), p.manifest().file().getFileName().toString(), "is refused: " + p.refusal())).toList();
    }

    @Override
    public Map<String, String> details(String name) {
        return plugins.byName(name).map(WasmPlugin::details).orElse(Map.of());
    }

    /** Loads the plugin's module again; as {@link #deploy}, its start code runs holding no lock. */
    @Override
    public boolean reload(String name) {
        Optional<WasmPlugin> p = plugins.byName(name);
        p.ifPresent(plugin -> {
            WasmManifest m = plugin.manifest();
            String refusal = refusalNow(m);
            if (refusal != null) { // what the policy refuses is not published again by a reload
                throw new io.atrium.api.PluginException(name, "reload refused: " + refusal, null);
            }
            try {
                WasmPlugin.Next next = plugin.prepare(m, module(m));
                synchronized (this) {
                    if (plugins.get(m.file()) != plugin) {
                        next.discard(); // removed or replaced meanwhile
                    } else if (plugin.commit(next, true)) { // unless deployed anew or stopped meanwhile
                        plugin.publish();
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new io.atrium.api.PluginException(name, "reload failed: " + e.getMessage(), null);
            }
        });
        return p.isPresent();
    }

    @Override
    public boolean stop(String name) {
        Optional<WasmPlugin> p = plugins.byName(name);
        p.ifPresent(WasmPlugin::stop);
        return p.isPresent();
    }

    @Override
    public boolean start(String name) {
        return reload(name); // loads the module again and publishes it: the same as a reload of a stopped plugin
    }

    private void record(String plugin, LifecycleEvent event) {
        PluginLifecycle l = lifecycle;
        if (l != null) {
            l.record(plugin, event);
        }
    }
}
