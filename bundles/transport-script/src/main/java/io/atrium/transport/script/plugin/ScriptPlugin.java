package io.atrium.transport.script.plugin;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptEngine;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.engine.ScriptHost;
import io.atrium.transport.script.manifest.ScriptManifest;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.kit.CallResults;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.kit.Restart;
import io.atrium.transport.support.kit.Supervisor;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One script plugin on the kit's {@link Supervisor}: its instance is the script loaded by its
 * language's engine ({@link LoadedScript}). A script loads where it is asked, its top level under its
 * budget (a deployment fails when it does not load, and the version before keeps serving); a reload
 * loads the new text first, then moves new calls to it while calls in flight finish on the old one.
 */
public final class ScriptPlugin extends Supervisor<ScriptManifest, LoadedScript> {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "script";

    private final Function<ScriptManifest.Language, ScriptEngine> engines;
    private final Supplier<JsonObject> config;
    private final PluginCalls calls;

    /**
     * @param engines the engine of each language, made at its first script
     * @param config  the plugin's configuration now
     * @param calls     where its calls to other plugins go
     */
    public ScriptPlugin(ManifestTransport<ScriptManifest, ScriptPlugin> transport, ScriptManifest manifest, Class<?> contract,
                        Function<ScriptManifest.Language, ScriptEngine> engines, Supplier<JsonObject> config, PluginCalls calls) {
        super(transport, manifest, contract);
        this.engines = engines;
        this.config = config;
        this.calls = calls;
    }

    @Override
    protected boolean opensInForeground() {
        return true;
    }

    /** A call that broke its program (the server's memory ran out in it) restarts the plugin with a fresh one. */
    @Override
    protected Restart restart(ScriptManifest m) {
        return Restart.DEFAULTS;
    }

    /**
     * Loads the script and runs its top level under its budget, holding no lock.
     *
     * @throws IllegalArgumentException it does not parse, its top level failed or ran over its budget, or it lacks a
     *                                  function its contract needs; the version running before keeps running
     */
    @Override
    protected LoadedScript open(ScriptManifest next) {
        ScriptEngine engine = engines.apply(next.language());
        ScriptHost host = new ScriptHost() {
            @Override
            public void log(String level, String message) {
                log.callback(level, message);
            }

            @Override
            public JsonObject config() {
                return config.get();
            }

            @Override
            public JsonElement call(String plugin, String method, java.util.List<JsonElement> args) {
                return calls.call(next.name(), next.calls(), plugin, method, args);
            }
        };
        Budget budget = new Budget();
        budget.start(next.limits().callTimeoutMs(), next.limits().maxAllocationMb() << 20);
        long start = System.nanoTime();
        Program program;
        try {
            program = engine.load(next, host, budget);
        } catch (ScriptError e) {
            throw new IllegalArgumentException(e.getMessage());
        } catch (Budget.Exceeded e) {
            throw new IllegalArgumentException("its top level " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException("its top level ran the server out of memory (" + e.getMessage() + ")");
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        for (String needed : needed(next)) {
            if (!program.functions().contains(needed)) {
                throw new IllegalArgumentException("defines no function " + needed + ", which " + (invocable() ? "its header's 'functions' lists"
                        : contract().getSimpleName() + "." + needed + " needs") + " (it defines: "
                        + (program.functions().isEmpty() ? "none" : String.join(", ", new TreeSet<>(program.functions()))) + ")");
            }
        }
        LoadedScript[] self = new LoadedScript[1];
        self[0] = new LoadedScript(next, program, engine.describe(), millis, why -> crashed(self[0], why));
        return self[0];
    }

    /** @return the functions the script must define: its contract's methods, or those its header lists */
    private Collection<String> needed(ScriptManifest m) {
        if (invocable()) {
            return m.functions();
        }
        TreeSet<String> names = new TreeSet<>();
        for (Method x : contract().getMethods()) {
            if (x.getDeclaringClass() != Object.class && !x.isDefault() && !java.lang.reflect.Modifier.isStatic(x.getModifiers())) {
                names.add(x.getName());
            }
        }
        return names;
    }

    // ------------------------------------------------------------------ calls

    @Override
    protected Object call(LoadedScript s, ScriptManifest m, Method method, Object[] args, long timeoutMs) {
        Object[] in = args == null ? new Object[0] : args.clone();
        for (int i = 0; i < in.length; i++) {
            Object a = in[i];
            if (!(a == null || a instanceof String || a instanceof Boolean || a instanceof Integer || a instanceof Long || a instanceof Double
                    || a instanceof Short || a instanceof Byte || a instanceof Float)) {
                in[i] = JsonCodec.tree(a); // records, lists, maps, arrays: as JSON, which the engine makes its own values of
            }
        }
        JsonElement out = s.call(method.getName(), in, timeoutMs);
        if (method.getReturnType() == String.class && out.isJsonPrimitive() && out.getAsJsonPrimitive().isString()) {
            return out.getAsString();
        }
        return CallResults.read(m.name(), method.getName(), method, out);
    }

    /** A function called by name: JSON arguments in (an array, or one value), its result's JSON out. */
    @Override
    protected String callFunction(LoadedScript s, ScriptManifest m, String function, String input, long timeoutMs) {
        JsonElement given = JsonParser.parseString(Functions.jsonArguments(m.name(), function, input));
        Object[] args;
        if (given.isJsonArray()) {
            JsonArray a = given.getAsJsonArray();
            args = new Object[a.size()];
            for (int i = 0; i < args.length; i++) {
                args[i] = a.get(i);
            }
        } else {
            args = new Object[] {given};
        }
        return s.call(function, args, timeoutMs).toString();
    }

    /** @return the functions a script with no contract may be called by: those its header lists, else all it defines */
    @Override
    protected Collection<String> functions(ScriptManifest m, LoadedScript s) {
        return !m.functions().isEmpty() || s == null ? m.functions() : new TreeSet<>(s.program.functions());
    }

    // ------------------------------------------------------------------ what the shell sees

    @Override
    protected Map<String, String> details(ScriptManifest m, LoadedScript s) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("script", m.file().getFileName().toString());
        if (s != null) {
            d.put("engine", s.engine);
            d.put("load time", s.loadMillis + " ms");
            if (invocable()) {
                Collection<String> f = functions(m, s);
                d.put("functions", f.isEmpty() ? "none" : String.join(", ", f));
            }
        }
        ScriptManifest.Limits l = m.limits();
        d.put("limits", "CPU " + l.callTimeoutMs() + " ms, allocations " + l.maxAllocationMb() + " MiB per call; stack depth " + l.maxStackDepth()
                + "; strings " + l.maxStringLength() + " characters");
        d.put("calls", "one at a time");
        return d;
    }
}
