package io.atrium.web.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.api.CallStatistics;
import io.atrium.api.PluginControl;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginState;
import io.atrium.api.PluginStatistics;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.atrium.web.auth.ApiToken;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The JSON API (docs/http.md):
 * <pre>
 * GET  /api/plugins[?transport=ID]    every plugin (of one transport) with its state, problem, call numbers, crashes, restarts and last error
 * GET  /api/plugins/NAME              one plugin, with its numbers per method
 * POST /api/plugins/NAME/METHOD       calls a contract method; body: a JSON array of the arguments (a plugin with
 *                                     no contract: METHOD is the function, the body its input as it is)
 * POST /api/plugins/NAME:reload       (and :stop, :start) steers the plugin
 * </pre>
 * Every POST needs {@code Authorization: Bearer TOKEN} ({@link ApiToken}); errors are
 * {@code {"error": "…"}} with 400, 401, 404, 413 or, for a plugin's failure, 500/502/503/504.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/*")
@HttpWhiteboardServletName("atrium-api")
public final class PluginApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** Arguments larger than this are refused (413) before they are read. */
    static final int MAX_BODY_BYTES = 1 << 20;
    /** How much of a refused body is read and dropped before the connection is given up. */
    static final long DRAIN_BYTES = 64L << 20;

    private final transient BundleContext context;
    private final transient PluginRegistry registry;
    private final transient PluginControl control;
    private final transient io.atrium.api.PluginFolder folder;
    private final transient ApiToken token;
    private final transient PluginCalls calls = new PluginCalls();
    private final transient Gson gson = new GsonBuilder().serializeNulls().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();
    /** Got per request: the statistics' provider loads its metrics library on first use. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile transient ComponentServiceObjects<PluginStatistics> statistics;
    /** The core's counts of crashes and restarts, and each plugin's last error. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile transient PluginLifecycle lifecycle;

    @Activate
    public PluginApiServlet(BundleContext context, @Reference PluginRegistry registry, @Reference PluginControl control,
                            @Reference ApiToken token, @Reference io.atrium.api.PluginFolder folder) {
        this.context = context;
        this.folder = folder;
        this.registry = registry;
        this.control = control;
        this.token = token;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        handle(response, () -> {
            String[] path = path(request);
            if (path.length == 1 && path[0].equals("plugins")) {
                String transport = transportFilter(request);
                return withStatistics(stats -> {
                    JsonArray all = new JsonArray();
                    List<PluginProblem> problems = registry.problems();
                    Lifecycle life = Lifecycle.of(lifecycle);
                    for (PluginDescriptor p : registry.plugins()) {
                        if (transport == null || p.transportId().equals(transport)) {
                            all.add(plugin(p, stats, problems, life));
                        }
                    }
                    return all;
                });
            }
            if (path.length == 1 && path[0].equals("deploys")) {
                JsonArray all = new JsonArray();
                for (io.atrium.api.PluginFolder.File f : folder.files()) {
                    JsonObject o = new JsonObject();
                    o.addProperty("file", f.file());
                    o.addProperty("kind", f.kind());
                    o.addProperty("target", f.target());
                    o.addProperty("state", f.state());
                    o.addProperty("bundle", f.bundleId() < 0 ? null : f.bundleId());
                    o.addProperty("detail", f.detail());
                    all.add(o);
                }
                return all;
            }
            if (path.length == 2 && path[0].equals("plugins")) {
                PluginDescriptor p = find(path[1]);
                return withStatistics(stats -> {
                    JsonObject one = plugin(p, stats, registry.problems(), Lifecycle.of(lifecycle));
                    JsonArray methods = new JsonArray();
                    if (stats != null) {
                        for (CallStatistics s : stats.methods()) {
                            if (s.plugin().equals(p.name())) {
                                methods.add(numbers(s, new JsonObject()));
                            }
                        }
                    }
                    one.add("methods", methods);
                    return one;
                });
            }
            throw new ApiError(404, "no such resource: " + request.getRequestURI());
        });
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        handle(response, () -> {
            if (!token.accepts(request.getHeader("Authorization"))) {
                token.refused(request.getMethod() + " " + request.getRequestURI() + " from " + request.getRemoteAddr());
                response.setHeader("WWW-Authenticate", "Bearer realm=\"atrium\"");
                throw new ApiError(401, "this request needs the API token: 'Authorization: Bearer TOKEN' (web:token prints it)");
            }
            String[] path = path(request);
            if (path.length == 2 && path[0].equals("plugins") && path[1].contains(":")) {
                String name = path[1].substring(0, path[1].lastIndexOf(':'));
                String action = path[1].substring(path[1].lastIndexOf(':') + 1);
                return steer(name, action);
            }
            if (path.length == 3 && path[0].equals("plugins")) {
                String body = body(request);
                PluginDescriptor p = find(path[1]);
                return call(p, path[2], body);
            }
            throw new ApiError(404, "no such resource: " + request.getRequestURI());
        });
    }

    private JsonElement steer(String name, String action) {
        PluginState state;
        try {
            state = switch (action) {
                case "reload" -> control.reload(name);
                case "stop" -> control.stop(name);
                case "start" -> control.start(name);
                default -> throw new ApiError(404, "no action '" + action + "' (reload, stop or start)");
            };
        } catch (IllegalArgumentException e) {
            throw new ApiError(404, e.getMessage());
        } catch (PluginException e) {
            throw new ApiError(500, e.getMessage());
        }
        JsonObject done = new JsonObject();
        done.addProperty("plugin", name);
        done.addProperty("action", action);
        done.addProperty("state", state.toString());
        return done;
    }

    private JsonElement call(PluginDescriptor p, String method, String body) {
        ServiceReference<?> ref = facade(p.name());
        Object service = context.getService(ref);
        if (service == null) {
            throw new ApiError(503, "plugin '" + p.name() + "' went away");
        }
        try {
            JsonObject out = new JsonObject();
            out.add("result", calls.call(p.name(), service, p.contract(), method, body));
            return out;
        } finally {
            context.ungetService(ref);
        }
    }

    /** The plugin's facade, as every consumer calls it: counted, and waiting out an update. */
    private ServiceReference<?> facade(String name) {
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(null,
                    "(&(" + PluginProperties.NAME + "=" + name.replaceAll("([\\\\*()])", "\\\\$1") + ")(" + PluginProperties.FACADE + "=true))");
            if (refs == null) {
                throw new ApiError(503, "plugin '" + name + "' is " + registry.plugin(name).map(d -> d.state().toString()).orElse("gone")
                        + ", not callable now");
            }
            return refs[0];
        } catch (InvalidSyntaxException e) {
            throw new ApiError(400, "not a plugin name: '" + name + "'");
        }
    }

    /** @return the {@code ?transport=ID} filter, or null; any well-formed id filters (one no plugin has: none listed) */
    private static String transportFilter(HttpServletRequest request) {
        String transport = request.getParameter("transport");
        try {
            return transport == null ? null : PluginDescriptor.checkTransportId(transport);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "?transport=: " + e.getMessage());
        }
    }

    private PluginDescriptor find(String name) {
        return registry.plugin(name).orElseThrow(() -> new ApiError(404, "unknown plugin '" + name + "'"));
    }

    private JsonObject plugin(PluginDescriptor p, PluginStatistics stats, List<PluginProblem> problems, Lifecycle life) {
        JsonObject o = new JsonObject();
        o.addProperty("name", p.name());
        o.addProperty("version", p.version());
        o.addProperty("contract", p.contract());
        o.addProperty("transport", p.transportId());
        o.addProperty("state", p.state().toString());
        o.addProperty("source", p.source());
        o.addProperty("problem", problems.stream().filter(pr -> pr.plugin().equals(p.name())).map(PluginProblem::reason)
                .findFirst().orElse(null));
        if (stats != null) {
            numbers(stats.plugin(p.name()), o);
        }
        Map<LifecycleEvent, Long> events = life.counts().getOrDefault(p.name(), Map.of());
        o.addProperty("crashes", events.getOrDefault(LifecycleEvent.CRASH, 0L));
        o.addProperty("restarts", events.getOrDefault(LifecycleEvent.RESTART, 0L));
        PluginLifecycle.LastError last = life.lastErrors().get(p.name());
        JsonObject lastError = null;
        if (last != null) {
            lastError = new JsonObject();
            lastError.addProperty("event", last.event().label());
            lastError.addProperty("reason", last.reason());
            lastError.addProperty("at", last.at().toString());
        }
        o.add("lastError", lastError);
        return o;
    }

    /** The lifecycle's numbers, read once per request (empty while the core's service is away). */
    private record Lifecycle(Map<String, Map<LifecycleEvent, Long>> counts, Map<String, PluginLifecycle.LastError> lastErrors) {
        static Lifecycle of(PluginLifecycle l) {
            return l == null ? new Lifecycle(Map.of(), Map.of()) : new Lifecycle(l.counts(), l.lastErrors());
        }
    }

    private static JsonObject numbers(CallStatistics s, JsonObject o) {
        if (!s.method().equals("*")) {
            o.addProperty("method", s.method());
        }
        o.addProperty("calls", s.calls());
        o.addProperty("errors", s.errors());
        JsonObject outcomes = new JsonObject();
        s.outcomes().forEach(outcomes::addProperty);
        o.add("outcomes", outcomes);
        o.addProperty("p50Ms", Double.isNaN(s.p50Millis()) ? null : s.p50Millis());
        o.addProperty("p99Ms", Double.isNaN(s.p99Millis()) ? null : s.p99Millis());
        return o;
    }

    private JsonElement withStatistics(Function<PluginStatistics, JsonElement> use) {
        ComponentServiceObjects<PluginStatistics> objects = statistics;
        if (objects == null) {
            return use.apply(null);
        }
        PluginStatistics s = objects.getService();
        try {
            return use.apply(s);
        } finally {
            objects.ungetService(s);
        }
    }

    private static String[] path(HttpServletRequest request) {
        String info = request.getPathInfo();
        if (info == null || info.equals("/")) {
            return new String[0];
        }
        return info.substring(1).split("/", -1);
    }

    private static String body(HttpServletRequest request) throws IOException {
        try (InputStream in = request.getInputStream()) {
            long declared = request.getContentLengthLong();
            if (declared > MAX_BODY_BYTES) {
                drain(in);
                throw new ApiError(413, "the body has " + declared + " bytes; at most " + MAX_BODY_BYTES + " are accepted");
            }
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                drain(in);
                throw new ApiError(413, "the body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * Reads a refused body to its end (up to a bound), so the client, still sending, gets the 413
     * rather than a broken connection; past the bound the connection is closed.
     */
    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[64 << 10];
        long left = DRAIN_BYTES;
        for (int n; left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) {
            left -= n;
        }
    }

    private interface Handler {
        JsonElement handle() throws IOException;
    }

    private void handle(HttpServletResponse response, Handler handler) throws IOException {
        int status = 200;
        JsonElement out;
        try {
            out = handler.handle();
        } catch (ApiError e) {
            status = e.status;
            JsonObject error = new JsonObject();
            error.addProperty("error", e.getMessage());
            if (e.outcome != null) {
                error.addProperty("status", e.outcome);
            }
            out = error;
        }
        byte[] body = (gson.toJson(out) + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
