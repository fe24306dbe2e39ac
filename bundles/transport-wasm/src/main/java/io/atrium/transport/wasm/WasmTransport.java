package io.atrium.transport.wasm;

import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.HostFunction;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.spi.TransportTrust;
import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.Seal;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.wasm.abi.HostFunctions;
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
 * plugins, on the transport kit ({@link ManifestTransport}): what it adds is the sandbox (the grants a
 * manifest may make, the shared heap budget, the call deadlines) and the compiled-module cache. Modules
 * are compiled to JVM bytecode once; the classes are kept in this bundle's data area by the module's
 * digest, sealed against change, so a restart or reload does not compile again. All instances of all wasm plugins share one heap budget,
 * {@value #BUDGET_PROPERTY} (MiB, a quarter of the maximum heap by default).
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class}, property = ArtifactHandler.SUFFIX + "=" + WasmManifest.SUFFIX,
        configurationPid = WasmTransport.CONFIG_PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class WasmTransport extends ManifestTransport<WasmManifest, WasmPlugin> {
    /** The configuration of the sandbox policy; {@code allowedRoots} lists the folders manifests may grant from. */
    public static final String CONFIG_PID = "io.atrium.wasm";
    /** Framework property: the MiB of Java heap all wasm instances together may claim. */
    public static final String BUDGET_PROPERTY = "atrium.wasm.memoryBudgetMb";

    private final MemoryBudget budget;
    private final Deadlines deadlines = new Deadlines();
    private final CompiledCache cache;
    private volatile List<Path> allowedRoots = List.of();
    /** Other bundles' host functions, which modules import; when they change, the plugins waiting for one are loaded again. */
    private final HostFunctions hostFunctions = new HostFunctions(this::hostFunctionsChanged);

    /** Where installs, updates and uninstalls are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addHostFunction(HostFunction f, Map<String, Object> properties) {
        hostFunctions.add(f, properties);
    }

    void removeHostFunction(HostFunction f) {
        hostFunctions.remove(f);
    }

    private void hostFunctionsChanged() {
        List<WasmPlugin> all;
        synchronized (this) { // a deploy commits and lists a plugin under this lock: a retry it asked for sees it listed
            all = List.copyOf(deployed());
        }
        for (WasmPlugin p : all) {
            if (p.awaitsHostFunctions()) {
                p.retry(); // loaded again; what still fails, or waits, says so itself
            }
        }
    }

    @Activate
    public WasmTransport(BundleContext context, Map<String, Object> config,
                         @Reference(bind = "trustChanged", updated = "trustChanged") TransportTrust trust) {
        super(context, WasmPlugin.TRANSPORT_ID, trust, List.of(CONFIG_PID));
        String mb = context.getProperty(BUDGET_PROPERTY);
        long bytes = mb != null ? Long.parseLong(mb.trim()) << 20 : Runtime.getRuntime().maxMemory() / 4;
        this.budget = new MemoryBudget(bytes);
        java.io.File dir = context.getDataFile("compiled");
        this.cache = dir == null ? null
                : new CompiledCache(dir.toPath(), new Seal(context.getDataFile("seal.key").toPath()),
                        context.getBundle().getVersion() + "@" + context.getBundle().getLastModified());
        modified(config);
    }

    @Modified
    void modified(Map<String, Object> given) {
        Map<String, Object> config = configure(given);
        List<Path> roots = new ArrayList<>();
        for (String root : ManifestFields.values(config.get("allowedRoots"))) {
            roots.add(Path.of(root).toAbsolutePath().normalize());
        }
        allowedRoots = List.copyOf(roots);
        policyChanged();
    }

    @Deactivate
    void deactivate() {
        close();
        deadlines.close();
        hostFunctions.close();
    }

    /** The core's trust or capability policy changed (bound, or its generation property updated): the plugins are judged again. */
    void trustChanged(TransportTrust changed) {
        trustChanged();
    }

    @Override
    protected PluginLifecycle lifecycle() {
        return lifecycle;
    }

    @Override
    protected WasmManifest parse(Path file, byte[] content) {
        return WasmManifest.parse(file, content);
    }

    @Override
    protected String unpinned() {
        return "does not pin its module";
    }

    /** A module's capabilities are known from its manifest: one the core's capability policy refuses is not deployed. */
    @Override
    protected void check(ManifestPolicy policy, WasmManifest m) {
        String lacking = policy.capabilityRefusal(m.contract(), m.capabilities());
        if (lacking != null) {
            throw new IllegalArgumentException("is refused: it " + lacking);
        }
        checkGrants(m);
        try {
            policy().checked(m.file().toAbsolutePath().getParent(), m.module()); // a manifest's fault, said before any loading
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("names the module " + m.module().getFileName() + ", which is missing");
        } catch (IOException e) {
            throw new IllegalArgumentException("names the module " + m.module().getFileName() + ", which cannot be read: " + e.getMessage());
        }
    }

    @Override
    protected WasmPlugin create(WasmManifest m, Class<?> contract) {
        return new WasmPlugin(this, m, contract, budget, deadlines, cache, hostFunctions, this::module);
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

    /**
     * Reads the module once: the bytes hashed against its pin are the bytes compiled. A module that is a
     * link leading outside the plugin folder is refused, as the folder lists it.
     *
     * @throws IllegalArgumentException one line: refused, missing or unreadable
     */
    private byte[] module(WasmManifest m) {
        try {
            // read where the check looked, the last name not followed: a link swapped in after the check is not read through
            Path checked = policy().checked(m.file().toAbsolutePath().getParent(), m.module());
            try (var in = Files.newInputStream(checked, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return in.readAllBytes();
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("names the module " + m.module().getFileName() + ", which is missing");
        } catch (IOException e) {
            throw new IllegalArgumentException("names the module " + m.module().getFileName() + ", which cannot be read: " + e.getMessage());
        }
    }
}
