package io.atrium.transport.wasm.engine;

import io.atrium.api.PluginException;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.kit.CallResults;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.kit.Supervisor;
import io.atrium.transport.wasm.abi.HostFunctions;
import io.atrium.transport.wasm.abi.Variables;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * One wasm plugin on the kit's {@link Supervisor}: its instance is the pool of instances of its current
 * module ({@link InstancePool}). A module opens where it is asked (a deployment fails when it does not
 * load), its start code under its deadline; one importing host functions nobody provides waits for
 * them. A reload loads the new module first, then moves new calls to its pool; calls in flight finish
 * on the old instances, which are then dropped.
 */
public final class WasmPlugin extends Supervisor<WasmManifest, InstancePool> {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "wasm";

    private final MemoryBudget budget;
    private final Deadlines deadlines;
    private final CompiledCache cache;
    private final HostFunctions hostFunctions;
    private final Function<WasmManifest, byte[]> modules;
    /** The module's variables, kept across its reloads while their limit stays. */
    private volatile Variables vars;

    /**
     * @param modules reads a manifest's module, once per load
     */
    public WasmPlugin(ManifestTransport<WasmManifest, WasmPlugin> transport, WasmManifest manifest, Class<?> contract, MemoryBudget budget,
                      Deadlines deadlines, CompiledCache cache, HostFunctions hostFunctions, Function<WasmManifest, byte[]> modules) {
        super(transport, manifest, contract);
        this.modules = modules;
        this.hostFunctions = hostFunctions;
        this.budget = budget;
        this.deadlines = deadlines;
        this.cache = cache;
    }

    /** @return the exports the contract's methods need (a module with no contract: the functions it declares), for checking a module before it is used */
    public static List<String> exportsNeeded(WasmManifest m, Class<?> contract) {
        if (Functions.isInvocable(contract)) {
            return m.functions();
        }
        return Arrays.stream(contract.getMethods()).filter(x -> x.getDeclaringClass() != Object.class)
                .map(x -> m.exportFor(x.getName())).distinct().toList();
    }

    @Override
    protected boolean opensInForeground() {
        return true;
    }

    /**
     * Reads the module, loads it and makes its first instance: its start code runs here, under its
     * deadline, holding no lock.
     *
     * @throws IllegalArgumentException naming what is wrong; the module running before keeps running
     * @throws Awaits                   it imports host functions no bundle provides yet
     */
    @Override
    protected InstancePool open(WasmManifest next) {
        if (next.encoding() == WasmManifest.Encoding.RAW && !invocable()) {
            for (Method m : contract().getMethods()) {
                if (m.getDeclaringClass() != Object.class && (m.getParameterCount() != 1 || m.getParameterTypes()[0] != String.class
                        || m.getReturnType() != String.class)) {
                    throw new IllegalArgumentException("field 'encoding': raw needs methods that take one String and return one; "
                            + m.getName() + " does not");
                }
            }
        }
        byte[] moduleBytes = modules.apply(next);
        Variables kept = vars;
        Variables v = kept != null && manifest().limits().maxVarBytes() == next.limits().maxVarBytes()
                ? kept : new Variables(next.name(), next.limits().maxVarBytes());
        long hostVersion = hostFunctions.version();
        LoadedModule loaded;
        try {
            loaded = LoadedModule.load(next, moduleBytes, cache, hostFunctions);
        } catch (HostFunctions.Missing e) { // not a failure of the module: it is loaded once they come
            throw new Awaits("is refused: " + e.getMessage() + "; it is deployed once a bundle provides it", () -> {
                if (hostFunctions.version() != hostVersion) { // one came while it loaded, unseen by the retry it asks for
                    hostFunctions.retryLater();
                }
            });
        }
        return new InstancePool(next, loaded, exportsNeeded(next, contract()), v, log, budget, deadlines);
    }

    @Override
    protected void opened(InstancePool pool) {
        vars = pool.vars;
    }

    /**
     * @return whether the host functions changing may change this plugin: it waits for some, or one
     *         its module is bound to is no longer provided
     */
    public boolean awaitsHostFunctions() {
        InstancePool p = instance();
        return awaiting() || p != null && hostFunctions.gone(p.module.hostFunctions);
    }

    // ------------------------------------------------------------------ calls

    @Override
    protected Object call(InstancePool p, WasmManifest m, Method method, Object[] args, long timeoutMs) {
        byte[] input;
        if (m.encoding() == WasmManifest.Encoding.RAW) {
            input = ((String) args[0]).getBytes(StandardCharsets.UTF_8);
        } else {
            input = JsonCodec.arguments(args).getBytes(StandardCharsets.UTF_8);
        }
        String export = m.exportFor(method.getName());
        byte[] output = p.call(export, input, timeoutMs);
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
    @Override
    protected String callFunction(InstancePool p, WasmManifest m, String function, String input, long timeoutMs) {
        String in = input == null ? "" : input;
        if (m.encoding() == WasmManifest.Encoding.JSON) {
            in = Functions.jsonArguments(m.name(), function, in);
        }
        byte[] output = p.call(function, in.getBytes(StandardCharsets.UTF_8), timeoutMs);
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
    @Override
    protected Collection<String> functions(WasmManifest m, InstancePool p) {
        return !m.functions().isEmpty() || p == null ? m.functions() : p.module.functions;
    }

    // ------------------------------------------------------------------ what the shell sees

    @Override
    protected Map<String, String> details(WasmManifest m, InstancePool p) {
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
            d.put("instances", p.live() + " of at most " + m.instances() + (m.stateless() ? " (stateless)" : "") + ", " + p.running() + " running, "
                    + p.waiting() + " waiting");
        }
        if (invocable()) {
            Collection<String> f = functions(m, p);
            d.put("functions", f.isEmpty() ? "none" : String.join(", ", f));
        }
        d.put("encoding", m.encoding().name().toLowerCase(Locale.ROOT));
        return d;
    }
}
