package io.atrium.transport.script.plugin;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.atrium.transport.support.PolicyConfigurations;
import java.lang.reflect.Array;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.osgi.framework.BundleContext;

/**
 * A script plugin's {@code host.config}: the configuration whose PID is the plugin's name (the file
 * {@code NAME.cfg} or {@code NAME.json} of the plugin folder, which the core puts into Config Admin),
 * its secret values revealed. Read again when asked at most every {@value #FRESH_MS} ms, so an edit of
 * the file reaches the script within that, with no reload and no listener that would start this
 * transport in a server without scripts. Thread-safe.
 */
public final class LiveConfig implements Supplier<JsonObject> {
    /** How long a read stays fresh. */
    static final long FRESH_MS = 200;
    /** What Config Admin and the core keep in a configuration besides its own properties. */
    private static final Set<String> BOOKKEEPING = Set.of("service.pid", "service.factoryPid", "service.bundleLocation", "atrium.config.file");

    private final BundleContext context;
    private final String pid;
    private volatile JsonObject read;
    private volatile long readAt;

    /** @param pid the plugin's name, which has no '.', so never another component's PID */
    public LiveConfig(BundleContext context, String pid) {
        this.context = context;
        this.pid = pid;
    }

    @Override
    public JsonObject get() {
        long now = System.nanoTime();
        JsonObject r = read;
        if (r == null || now - readAt > FRESH_MS * 1_000_000) {
            r = json(PolicyConfigurations.read(context, Map.of(), List.of(pid)));
            read = r;
            readAt = now;
        }
        return r.deepCopy(); // the script's own copy: what it changes in it is its own
    }

    private static JsonObject json(Map<String, Object> props) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, Object> e : new TreeMap<>(props).entrySet()) {
            if (BOOKKEEPING.contains(e.getKey()) || e.getKey().startsWith("felix.")) {
                continue;
            }
            Object v = e.getValue();
            if (v instanceof Collection<?> c) {
                JsonArray a = new JsonArray();
                c.forEach(x -> a.add(primitive(x)));
                o.add(e.getKey(), a);
            } else if (v != null && v.getClass().isArray()) {
                JsonArray a = new JsonArray();
                for (int i = 0; i < Array.getLength(v); i++) {
                    a.add(primitive(Array.get(v, i)));
                }
                o.add(e.getKey(), a);
            } else {
                o.add(e.getKey(), primitive(v));
            }
        }
        return o;
    }

    private static JsonPrimitive primitive(Object v) {
        if (v instanceof Boolean b) {
            return new JsonPrimitive(b);
        }
        if (v instanceof Number n) {
            return new JsonPrimitive(n);
        }
        return new JsonPrimitive(String.valueOf(v));
    }
}
