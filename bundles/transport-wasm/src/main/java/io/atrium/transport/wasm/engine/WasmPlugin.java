package io.atrium.transport.wasm.engine;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginState;
import io.atrium.api.PluginUnavailableException;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.support.kit.CallResults;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.support.kit.KitPlugin;
import io.atrium.transport.support.kit.PluginService;
import io.atrium.transport.wasm.abi.HostFunctions;
import io.atrium.transport.wasm.abi.Variables;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;

/**
 * One wasm plugin: the proxy of its contract registered as a service, and the pool of instances of its
 * current module. A reload loads the new module first, then moves new calls to its pool; calls in
 * flight finish on the old instances, which are then dropped.
 */
public final class WasmPlugin implements KitPlugin<WasmManifest> {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "wasm";
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.wasm");

    private final Class<?> contract;
    private final MemoryBudget budget;
    private final Deadlines deadlines;
    private final CompiledCache cache;
    private final HostFunctions hostFunctions;
    /** The proxy of its contract, registered while the plugin runs. */
    private final PluginService service;
    private volatile WasmManifest manifest;
    private volatile InstancePool pool;
    private volatile Variables vars;
    private PluginLog log;
    private final Function<WasmManifest, byte[]> modules;

    /**
     * @param modules reads a manifest's module, once per load
     */
    public WasmPlugin(BundleContext context, Class<?> contract, MemoryBudget budget, Deadlines deadlines, CompiledCache cache,
                      HostFunctions hostFunctions, Function<WasmManifest, byte[]> modules) {
        this.modules = modules;
        this.hostFunctions = hostFunctions;
        this.contract = contract;
        this.budget = budget;
        this.deadlines = deadlines;
        this.cache = cache;
        this.service = new PluginService(context, TRANSPORT_ID, contract, () -> manifest.name(), this::invoke);
        this.invocable = Functions.isInvocable(contract);
    }

    /** Whether the plugin has no contract of its own: its exports are called by name. */
    private final boolean invocable;

    /** @return the exports the contract's methods need (a module with no contract: the functions it declares), for checking a module before it is used */
    public static List<String> exportsNeeded(WasmManifest m, Class<?> contract) {
        if (Functions.isInvocable(contract)) {
            return m.functions();
        }
        return Arrays.stream(contract.getMethods()).filter(x -> x.getDeclaringClass() != Object.class)
                .map(x -> m.exportFor(x.getName())).distinct().toList();
    }

    /**
     * A module loaded, with its first instance, that calls do not go to yet: {@link #commit} makes it
     * the plugin's, {@link #discard} drops it.
     */
    public static final class Next implements Staged {
        private final WasmManifest manifest;
        private final LoadedModule loaded;
        private final Variables vars;
        private final InstancePool pool;
        private final long generation;
        /** Why it cannot load until other bundles provide host functions (then loaded and pool are null), or null. */
        private final String waiting;
        /** The host functions' version it was bound with: changed before it was committed, it is bound again. */
        private final long hostVersion;

        private Next(WasmManifest manifest, LoadedModule loaded, Variables vars, InstancePool pool, long generation, String waiting,
                     long hostVersion) {
            this.waiting = waiting;
            this.hostVersion = hostVersion;
            this.manifest = manifest;
            this.loaded = loaded;
            this.vars = vars;
            this.pool = pool;
            this.generation = generation;
        }

        @Override
        public void discard() {
            if (pool != null) {
                pool.retire();
            }
        }
    }

    /** How many modules were committed: a reload prepared before a deployment must not undo it. */
    private long generation;

    /**
     * For a deployment: reads the manifest's module, then {@link #prepare(WasmManifest, byte[])}.
     *
     * @throws IllegalArgumentException one line: the module is missing, or was not deployed and why
     */
    @Override
    public Next prepare(WasmManifest next) {
        byte[] module = modules.apply(next);
        try {
            return prepare(next, module);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("was not deployed: " + e.getMessage());
        }
    }

    /**
     * Loads the module and makes its first instance. Takes no lock: the module's start code runs
     * here, under its deadline, and must not hold up the plugin's or the transport's other work.
     *
     * @throws IllegalArgumentException naming what is wrong; the module running before keeps running
     */
    public Next prepare(WasmManifest next, byte[] moduleBytes) {
        if (next.encoding() == WasmManifest.Encoding.RAW && !invocable) {
            for (Method m : contract.getMethods()) {
                if (m.getDeclaringClass() != Object.class && (m.getParameterCount() != 1 || m.getParameterTypes()[0] != String.class
                        || m.getReturnType() != String.class)) {
                    throw new IllegalArgumentException("field 'encoding': raw needs methods that take one String and return one; "
                            + m.getName() + " does not");
                }
            }
        }
        long seen;
        Variables v;
        PluginLog l;
        synchronized (this) {
            seen = generation;
            v = vars != null && manifest != null && manifest.limits().maxVarBytes() == next.limits().maxVarBytes()
                    ? vars : new Variables(next.name(), next.limits().maxVarBytes());
            if (log == null) {
                log = new PluginLog(next.name());
            }
            l = log;
        }
        long hostVersion = hostFunctions.version();
        LoadedModule loaded;
        try {
            loaded = LoadedModule.load(next, moduleBytes, cache, hostFunctions);
        } catch (HostFunctions.Missing e) { // not a failure of the module: it is loaded once they come
            return new Next(next, null, v, null, seen, e.getMessage(), hostVersion);
        }
        return new Next(next, loaded, v, new InstancePool(next, loaded, exportsNeeded(next, contract), v, l, budget, deadlines), seen,
                null, hostVersion);
    }

    /**
     * Makes a prepared module the one calls go to; calls in flight finish on the old one's instances.
     *
     * @param onlyIfCurrent drop it instead when another module was committed, or the plugin stopped,
     *                      since it was prepared (a reload must not undo a newer deployment)
     * @return whether it was committed
     */
    public synchronized boolean commit(Next next, boolean onlyIfCurrent) {
        if (onlyIfCurrent && (next.generation != generation || next.manifest != manifest)) {
            next.discard();
            return false;
        }
        generation++;
        InstancePool old = pool;
        manifest = next.manifest;
        vars = next.vars;
        pool = next.pool;
        waiting = next.waiting;
        if (old != null) {
            old.retire();
        }
        if (waiting != null) {
            service.withdraw();
            LOG.warning("plugin '" + next.manifest.name() + "' " + waiting());
            if (hostFunctions.version() != next.hostVersion) { // one may have come while it loaded, unseen by the reload it asks for
                hostFunctions.retryLater();
            }
            return true;
        }
        LOG.info("plugin '" + next.manifest.name() + "' " + (old == null ? "deployed" : "reloaded") + ": " + next.manifest.module().getFileName()
                + " (" + next.loaded.engine + ", loaded in " + next.loaded.loadMillis + " ms, memory cap " + next.loaded.maxPages + " pages)");
        return true;
    }

    /** Stopped by an operator: the manifest its next start loads (a reload prepared before it is dropped). */
    @Override
    public synchronized void adopt(WasmManifest next) {
        generation++;
        manifest = next;
    }

    /** Under the transport's lock: the module prepared for a deployment becomes the plugin's; a redeployed plugin is published again. */
    @Override
    public void commit(Staged staged, WasmManifest next, boolean update) {
        commit((Next) staged, false);
        if (update) {
            publish();
        }
    }

    /**
     * Registers the plugin's service, or updates its properties after a reload. Separate from
     * {@link #prepare}, so the transport lists a new plugin before anyone can find its service.
     */
    public synchronized void publish() {
        refusal = null;
        if (waiting != null) {
            return; // published when it loads, once the host functions it imports are provided
        }
        register();
    }

    /** Why the plugin waits for host functions other bundles provide, or null. */
    private volatile String waiting;

    /**
     * @return whether the host functions changing may change this plugin: it waits for some, or one
     *         its module is bound to is no longer provided
     */
    public boolean awaitsHostFunctions() {
        InstancePool p = pool;
        return waiting != null || p != null && hostFunctions.gone(p.module.hostFunctions);
    }

    /** Why the plugin was refused after its deployment (the capability policy changed), or null. */
    private volatile String refusal;

    /** Refuses a deployed plugin: its service is withdrawn, its instances dropped, the reason kept for plugin:problems. */
    public synchronized void refuse(String reason) {
        refusal = reason;
        stop();
    }

    /** @return why the plugin is refused, or null */
    public String refusal() {
        return refusal;
    }

    /** Withdraws the service and drops the instances (a reload prepared before this is dropped too). */
    @Override
    public synchronized void stop() {
        generation++;
        waiting = null; // a stopped plugin is not started by a host function appearing
        service.withdraw();
        InstancePool p = pool;
        pool = null;
        if (p != null) {
            p.retire();
        }
    }

    private Object invoke(Method method, Object[] args) {
        InstancePool p = pool;
        WasmManifest m = manifest;
        if (p == null) {
            throw new PluginUnavailableException(m.name(), "was removed");
        }
        if (invocable) {
            return callFunction(p, m, (String) args[0], (String) args[1]);
        }
        byte[] input;
        if (m.encoding() == WasmManifest.Encoding.RAW) {
            input = ((String) args[0]).getBytes(StandardCharsets.UTF_8);
        } else {
            input = JsonCodec.arguments(args).getBytes(StandardCharsets.UTF_8);
        }
        String export = m.exportFor(method.getName());
        byte[] output = p.call(export, input, m.limits().callTimeoutMs());
        if (method.getReturnType() == void.class) {
            return null;
        }
        if (output == null && m.encoding() == WasmManifest.Encoding.RAW) {
            output = new byte[0]; // as Extism's hosts answer a call that set no output
        }
        if (output == null) {
            throw new PluginException(m.name(), export + " set no output, but " + method.getName() + " returns "
                    + method.getReturnType().getSimpleName(), null);
        }
        String text = JsonCodec.utf8(output);
        if (text == null) {
            throw new PluginException(m.name(), export + " returned " + output.length + " bytes that are not UTF-8 text", null);
        }
        return m.encoding() == WasmManifest.Encoding.RAW ? text : CallResults.read(m.name(), export, method, text);
    }

    /** An export called by name: the input's bytes in (as JSON arguments, with encoding json), the output's text out. */
    private String callFunction(InstancePool p, WasmManifest m, String function, String input) {
        Functions.checked(m.name(), function, functions(m, p));
        String in = input == null ? "" : input;
        if (m.encoding() == WasmManifest.Encoding.JSON) {
            in = Functions.jsonArguments(m.name(), function, in);
        }
        byte[] output = p.call(function, in.getBytes(StandardCharsets.UTF_8), m.limits().callTimeoutMs());
        if (output == null) { // as Extism's hosts answer a call that set no output; a plugin of JSON answers JSON's nothing
            return m.encoding() == WasmManifest.Encoding.JSON ? "null" : "";
        }
        String text = JsonCodec.utf8(output);
        if (text == null) {
            throw new PluginException(m.name(), function + " returned " + output.length + " bytes that are not UTF-8 text", null);
        }
        if (m.encoding() == WasmManifest.Encoding.JSON) {
            Functions.checkJson(m.name(), function, text);
        }
        return text;
    }

    /** @return the functions a module with no contract may be called by: those its manifest lists, else its Extism exports */
    private static java.util.Collection<String> functions(WasmManifest m, InstancePool p) {
        return !m.functions().isEmpty() || p == null ? m.functions() : p.module.functions;
    }

    private void register() {
        service.publish(manifest, manifest.capabilities(), functions(manifest, pool));
    }

    @Override
    public WasmManifest manifest() {
        return manifest;
    }

    @Override
    public Class<?> contract() {
        return contract;
    }

    @Override
    public PluginDescriptor descriptor() {
        WasmManifest m = manifest;
        return service.descriptor(m, m.capabilities(), pool != null ? PluginState.ACTIVE : refusal != null || waiting != null ? PluginState.FAILED : PluginState.STOPPED);
    }

    /**
     * A module that does not load is refused at deployment, with its reason in plugin:deploys; one
     * deployed, then refused by a changed policy, or waiting for host functions, is a problem of its own.
     */
    @Override
    public PluginProblem problem() {
        String r = refusal;
        String why = r != null ? "is refused: " + r : waiting();
        return why == null ? null : new PluginProblem(name(), manifest.file().getFileName().toString(), why);
    }

    /** @return why the plugin waits for host functions, as plugin:problems, the log and a reload say it; or null */
    public String waiting() {
        String w = waiting;
        return w == null ? null : "is refused: " + w + "; it is deployed once a bundle provides it";
    }

    @Override
    public Map<String, String> details() {
        WasmManifest m = manifest;
        InstancePool p = pool;
        Map<String, String> d = new LinkedHashMap<>();
        d.put("module", m.module().getFileName().toString());
        if (p != null) {
            d.put("engine", p.module.engine);
            d.put("sha256", p.module.digest);
            d.put("load time", p.module.loadMillis + " ms");
            d.put("memory cap", p.module.maxPages + " pages (" + (p.module.maxBytes() >> 10) + " KiB)");
            if (!p.module.hostFunctions.isEmpty()) {
                d.put("host functions", p.module.hostFunctions.toString());
            }
            d.put("instances", p.live() + " of at most " + m.instances() + (m.stateless() ? " (stateless)" : "") + ", " + p.running() + " running, " + p.waiting() + " waiting");
        }
        if (invocable) {
            java.util.Collection<String> f = functions(m, p);
            d.put("functions", f.isEmpty() ? "none" : String.join(", ", f));
        }
        d.put("encoding", m.encoding().name().toLowerCase(java.util.Locale.ROOT));
        return d;
    }
}
