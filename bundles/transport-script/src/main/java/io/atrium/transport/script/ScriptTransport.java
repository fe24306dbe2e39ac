package io.atrium.transport.script;

import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.spi.TransportTrust;
import io.atrium.transport.script.engine.ScriptEngine;
import io.atrium.transport.script.js.RhinoEngine;
import io.atrium.transport.script.lua.LuaEngine;
import io.atrium.transport.script.manifest.ScriptManifest;
import io.atrium.transport.script.plugin.LiveConfig;
import io.atrium.transport.script.plugin.PluginCalls;
import io.atrium.transport.script.plugin.ScriptPlugin;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.kit.ManifestTransport;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Deploys {@code NAME.js} and {@code NAME.lua} files of the plugin folder as script plugins, on the
 * transport kit ({@link ManifestTransport}): the file is its own manifest (its first comment), and what
 * this transport adds is the engines, each made at its language's first script, so that a server with
 * no script plugin loads neither.
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class},
        property = {ArtifactHandler.SUFFIX + "=.js", ArtifactHandler.SUFFIX + "=.lua"},
        configurationPid = ScriptTransport.CONFIG_PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class ScriptTransport extends ManifestTransport<ScriptManifest, ScriptPlugin> {
    /**
     * The operator's ceilings on what a script's header may ask: {@code maxCallTimeoutMs} (10 000),
     * {@code maxAllocationMb} (512), {@code maxStringLength} (64 Mi characters), and {@code allowedCalls}, the
     * plugins a header's {@code calls} may grant ({@code *}, any, by default; a list of names, or none). A header
     * over one is refused.
     */
    public static final String CONFIG_PID = "io.atrium.script";

    /** The ceilings in force. */
    record Ceilings(long callTimeoutMs, long allocationMb, long stringLength, java.util.Set<String> allowedCalls) {
        static final Ceilings DEFAULTS = new Ceilings(10_000, 512, 64 << 20, java.util.Set.of("*"));
    }

    private volatile Ceilings ceilings = Ceilings.DEFAULTS;
    /** Guarded by this. */
    private final Map<ScriptManifest.Language, ScriptEngine> engines = new EnumMap<>(ScriptManifest.Language.class);
    private final PluginCalls calls;

    /** Where installs, updates and uninstalls are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Activate
    public ScriptTransport(BundleContext context, Map<String, Object> config,
                           @Reference(bind = "trustChanged", updated = "trustChanged") TransportTrust trust) {
        super(context, ScriptPlugin.TRANSPORT_ID, trust, List.of(CONFIG_PID));
        this.calls = new PluginCalls(context, () -> ceilings.allowedCalls());
        modified(config);
    }

    @Modified
    void modified(Map<String, Object> given) {
        Map<String, Object> config = configure(given);
        Ceilings d = Ceilings.DEFAULTS;
        Object allowed = config.get("allowedCalls");
        ceilings = new Ceilings(number(config, "maxCallTimeoutMs", d.callTimeoutMs()), number(config, "maxAllocationMb", d.allocationMb()),
                number(config, "maxStringLength", d.stringLength()),
                allowed == null ? d.allowedCalls() : java.util.Set.copyOf(io.atrium.transport.support.ManifestFields.values(allowed)));
        policyChanged();
    }

    private static long number(Map<String, Object> config, String key, long fallback) {
        Object v = config.get(key);
        try {
            long n = v == null ? fallback : Long.parseLong(v.toString().trim());
            return n > 0 ? n : fallback;
        } catch (NumberFormatException e) {
            java.util.logging.Logger.getLogger("io.atrium.transport.script").warning("configuration " + CONFIG_PID + ": " + key + " = '" + v
                    + "' is not a positive whole number; " + fallback + " stands");
            return fallback;
        }
    }

    @Deactivate
    void deactivate() {
        close();
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
    protected ScriptManifest parse(Path file, byte[] content) {
        return ScriptManifest.parse(file, content);
    }

    @Override
    protected String unpinned() {
        return "is not pinned"; // never said: a script is its own manifest, signed whole
    }

    /**
     * A script's capabilities are in its header: one the core's capability policy refuses is not deployed;
     * nor one whose limits ask more than the operator's ceilings allow.
     */
    @Override
    protected void check(ManifestPolicy policy, ScriptManifest m) {
        String lacking = policy.capabilityRefusal(m.contract(), m.capabilities());
        if (lacking != null) {
            throw new IllegalArgumentException("is refused: it " + lacking);
        }
        Ceilings c = ceilings;
        ScriptManifest.Limits l = m.limits();
        over("callTimeoutMs", l.callTimeoutMs(), "maxCallTimeoutMs", c.callTimeoutMs());
        over("maxAllocationMb", l.maxAllocationMb(), "maxAllocationMb", c.allocationMb());
        over("maxStringLength", l.maxStringLength(), "maxStringLength", c.stringLength());
        if (!c.allowedCalls().contains("*")) {
            for (String callee : m.calls()) {
                if (!c.allowedCalls().contains(callee)) {
                    throw new IllegalArgumentException("field 'calls': '" + callee + "' is not among the plugins the configuration " + CONFIG_PID
                            + " lets a script call (allowedCalls: " + (c.allowedCalls().isEmpty() ? "none" : String.join(", ",
                            new java.util.TreeSet<>(c.allowedCalls()))) + ")");
                }
            }
        }
    }

    private static void over(String field, long asked, String ceiling, long allowed) {
        if (asked > allowed) {
            throw new IllegalArgumentException("field 'limits." + field + "': " + asked + " is over the " + allowed + " the configuration "
                    + CONFIG_PID + " allows (" + ceiling + ")");
        }
    }

    @Override
    protected ScriptPlugin create(ScriptManifest m, Class<?> contract) {
        return new ScriptPlugin(this, m, contract, this::engine, new LiveConfig(context, m.name()), calls);
    }

    private synchronized ScriptEngine engine(ScriptManifest.Language language) {
        return engines.computeIfAbsent(language, l -> switch (l) {
            case JAVASCRIPT -> new RhinoEngine();
            case LUA -> new LuaEngine();
        });
    }
}
