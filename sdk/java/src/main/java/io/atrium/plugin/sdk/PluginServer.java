package io.atrium.plugin.sdk;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves an implementation of a contract interface as an Atrium process plugin (docs/protocol.md):
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     PluginServer.serve(Greeter.class, name -> "Hello, " + name + "!", "java-greeter", "1.0.0", "greet");
 * }
 * }</pre>
 *
 * It checks that Atrium started the process, sends the handshake, and answers calls on worker threads
 * (several at once, in any order) until the host asks it to stop or closes stdin. {@code System.out}
 * is pointed at stderr, which the host logs, so a stray print cannot break the protocol.
 */
public final class PluginServer {
    static final String COOKIE_ENV = "ATRIUM_PLUGIN_COOKIE";
    static final String COOKIE = "atrium-plugin-7f3c9b2e";
    static final int PROTOCOL = 1;

    private final OutputStream wire;
    private final Object target;
    private final Map<String, Method> methods = new LinkedHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<Object>> waiting = new ConcurrentHashMap<>();
    private static volatile PluginServer current;

    private PluginServer(OutputStream wire, Class<?> contract, Object target) {
        this.wire = wire;
        this.target = target;
        for (Method m : contract.getMethods()) {
            methods.put(m.getName(), m);
        }
    }

    /**
     * Serves {@code impl} until the host stops the plugin; then returns.
     *
     * @param contract     the contract interface, as the host knows it
     * @param impl         its implementation
     * @param name         the plugin's name (as in its manifest)
     * @param version      the plugin's version
     * @param capabilities what it supports: {@code name} or {@code name;version=N}
     */
    public static <T> void serve(Class<T> contract, T impl, String name, String version, String... capabilities) {
        if (!COOKIE.equals(System.getenv(COOKIE_ENV))) {
            System.err.println(name + " is an Atrium plugin: drop its manifest into an Atrium server's plugin folder; it is not meant to be run by hand.");
            System.exit(1);
        }
        String offered = System.getenv().getOrDefault("ATRIUM_PROTOCOL_VERSIONS", "");
        if (!Arrays.asList(offered.split(",")).contains(Integer.toString(PROTOCOL))) {
            System.err.println(name + " speaks Atrium protocol " + PROTOCOL + "; the host offers '" + offered + "'");
            System.exit(1);
        }
        PrintStream out = System.out;
        System.setOut(System.err);
        PluginServer server = new PluginServer(out, contract, impl);
        current = server;
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("cookie", COOKIE);
        hello.put("protocol", PROTOCOL);
        hello.put("name", name);
        hello.put("version", version);
        hello.put("contract", contract.getName());
        hello.put("capabilities", List.of(capabilities));
        server.send(message(null, "atrium.handshake", hello));
        server.loop();
    }

    /** Writes a line to the host's log under the plugin's name ({@code host.log}); level: debug, info, warn, error. */
    public static void log(String level, String message) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("level", level);
        p.put("message", message);
        current.send(message(null, "host.log", p));
    }

    /** @return the plugin's configuration from its manifest ({@code host.config}), or null when the host does not answer in 5 s */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> config() {
        PluginServer s = current;
        long id = s.ids.incrementAndGet();
        CompletableFuture<Object> answer = new CompletableFuture<>();
        s.waiting.put(id, answer);
        s.send(message(id, "host.config", null));
        try {
            return (Map<String, Object>) answer.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            s.waiting.remove(id);
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private void loop() {
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(4, Runtime.getRuntime().availableProcessors() * 2));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> msg = (Map<String, Object>) Json.parse(line);
                Object method = msg.get("method");
                if ("atrium.ping".equals(method)) {
                    send(answer(msg.get("id"), "result", "pong"));
                } else if ("atrium.shutdown".equals(method)) {
                    send(answer(msg.get("id"), "result", true));
                    break;
                } else if (method != null) {
                    workers.execute(() -> send(handle(msg)));
                } else if (msg.get("id") instanceof Number n && waiting.containsKey(n.longValue())) {
                    waiting.remove(n.longValue()).complete(msg.containsKey("error") ? null : msg.get("result"));
                }
            }
        } catch (IOException e) {
            // stdin closed: the host is gone
        } finally {
            workers.shutdown();
            try {
                workers.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Map<String, Object> handle(Map<String, Object> msg) {
        Object id = msg.get("id");
        Method m = methods.get(String.valueOf(msg.get("method")));
        if (m == null) {
            return answer(id, "error", error(-32601, "no method '" + msg.get("method") + "'"));
        }
        List<?> params = msg.get("params") instanceof List<?> l ? l : List.of();
        if (params.size() != m.getParameterCount()) {
            return answer(id, "error", error(-32602, m.getName() + " takes " + m.getParameterCount() + " argument(s), not " + params.size()));
        }
        Object[] args = new Object[params.size()];
        for (int k = 0; k < args.length; k++) {
            args[k] = convert(params.get(k), m.getParameterTypes()[k]);
        }
        try {
            return answer(id, "result", m.invoke(target, args));
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            return answer(id, "error", error(-32000, t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage())));
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return answer(id, "error", error(-32602, e.toString()));
        }
    }

    /** JSON numbers to the parameter's numeric type; everything else as parsed. */
    private static Object convert(Object v, Class<?> type) {
        if (v instanceof Number n) {
            if (type == int.class || type == Integer.class) {
                return n.intValue();
            }
            if (type == long.class || type == Long.class) {
                return n.longValue();
            }
            if (type == double.class || type == Double.class) {
                return n.doubleValue();
            }
        }
        return v;
    }

    private static Map<String, Object> message(Object id, String method, Object params) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", "2.0");
        if (id != null) {
            m.put("id", id);
        }
        m.put("method", method);
        m.put("params", params);
        return m;
    }

    private static Map<String, Object> answer(Object id, String kind, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", "2.0");
        m.put("id", id);
        m.put(kind, value);
        return m;
    }

    private static Map<String, Object> error(int code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        return e;
    }

    private void send(Map<String, Object> msg) {
        byte[] bytes = (Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (wire) {
            try {
                wire.write(bytes);
                wire.flush();
            } catch (IOException e) {
                System.exit(0); // the host is gone
            }
        }
    }
}
