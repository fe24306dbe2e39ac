package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginState;
import io.atrium.api.PluginUnavailableException;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.ManifestPolicy;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.osgi.framework.BundleContext;

/**
 * The smallest transport on the kit, as a new one would be written: its manifest ({@code NAME.echo.json},
 * the common fields and a {@code reply}), its instance (an object in this JVM answering calls with JSON
 * text, as a process or a module would) and how a call is made. What is left is the kit's.
 */
final class EchoTransport extends ManifestTransport<EchoTransport.Manifest, EchoTransport.Plugin> {
    static final String SUFFIX = ".echo.json";
    /** A text that holds its call on {@link #gate} until the test opens it. */
    static final String WAIT = "wait";

    /** What the core's lifecycle would be told, one line each: {@code greeter INSTALL}, {@code bad FAIL: reason}. */
    final List<String> events = new CopyOnWriteArrayList<>();
    /** Every instance started, in order. */
    final List<Instance> instances = new CopyOnWriteArrayList<>();
    volatile CountDownLatch gate = new CountDownLatch(0);
    /** Counted down when a deploy has been judged by the trust policy (in {@link #check}). */
    volatile CountDownLatch judged = new CountDownLatch(0);
    /** What a judged deploy waits for before it goes on. */
    volatile CountDownLatch afterJudging = new CountDownLatch(0);
    /** Whether instances open where asked (a deploy fails when one does not), as the wasm transport's do; else in the background, as the process transport's. */
    volatile boolean opensInForeground = true;
    /** New plugins held back until {@link #releaseHeld}, as the process transport holds them until the framework has started. */
    volatile boolean holdStarts;
    private final List<Plugin> held = new CopyOnWriteArrayList<>();
    /** Whether a dead instance is restarted (by the manifest's policy); false, as a transport whose instances do not die on their own. */
    volatile boolean restarts = true;
    /** What the instances an {@code awaits} manifest waits for, once it has come. */
    final java.util.Set<String> arrived = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The plugins the kit said were removed ({@link #removed}), by name. */
    final List<String> removedPlugins = new CopyOnWriteArrayList<>();
    /** Calls that reached an instance and wait at the gate. */
    final AtomicInteger waiting = new AtomicInteger();
    /** How many of the next opens fail as a bug in a transport or its engine would: an exception none of the kit's. */
    final AtomicInteger brokenOpens = new AtomicInteger();
    /** How many of the next opens fail as a transport missing a class would: a LinkageError. */
    final AtomicInteger unlinkedOpens = new AtomicInteger();
    /** How many of the next opens fail as a process that exits before its handshake: a crash. */
    final AtomicInteger crashingOpens = new AtomicInteger();
    /** How many of the next opens die once open, told before the kit has made them the plugin's (as a process's reader may). */
    final AtomicInteger dyingOpens = new AtomicInteger();
    /** Opens begun (each waits at {@link #opening} first). */
    final AtomicInteger opensBegun = new AtomicInteger();
    /** What an open waits for before it goes on. */
    volatile CountDownLatch opening = new CountDownLatch(0);

    private final PluginLifecycle lifecycle = new PluginLifecycle() {
        @Override
        public void record(String plugin, LifecycleEvent event) {
            record(plugin, event, null);
        }

        @Override
        public void record(String plugin, LifecycleEvent event, String reason) {
            events.add(plugin + " " + event + (reason == null ? "" : ": " + reason));
        }

        @Override
        public Map<String, Map<LifecycleEvent, Long>> counts() {
            return events.stream().collect(Collectors.groupingBy(e -> e.split(" ")[0],
                    Collectors.groupingBy(e -> LifecycleEvent.valueOf(e.split("[ :]")[1]), Collectors.counting())));
        }

        @Override
        public Map<String, LastError> lastErrors() {
            return Map.of();
        }
    };

    /** A transport of its own id ({@code echo}), with manifests of its own ({@code .echo.json}) and no settings. */
    EchoTransport(BundleContext context, SettableTrust trust) {
        super(context, "echo", trust, List.of());
    }

    void deactivate() {
        close();
    }

    @Override
    protected PluginLifecycle lifecycle() {
        return lifecycle;
    }

    record Manifest(Path file, String name, String version, String contract, String contractVersion, List<Capability> capabilities,
                    List<String> functions, String reply, boolean failStart, String awaits, long callTimeoutMs, Restart restart) implements KitManifest {
        @Override
        public boolean pinned() {
            return false;
        }

        @Override
        public List<Path> ownFiles() {
            return List.of();
        }
    }

    @Override
    protected Manifest parse(Path file, byte[] content) {
        return ManifestFields.inOneLine(() -> {
            ManifestFields f = ManifestFields.parse(new String(content, StandardCharsets.UTF_8), "{ \"version\": …, \"contract\": …, \"reply\": … }");
            f.onlyKnown(Stream.concat(ManifestBasics.FIELDS.stream(), Stream.of("reply", "failStart", "awaits", "callTimeoutMs", Restart.FIELD))
                    .toArray(String[]::new));
            ManifestBasics b = ManifestBasics.read(file, f, SUFFIX);
            return new Manifest(file, b.name(), b.version(), b.contract(), b.contractVersion(), b.capabilities(), b.functions(), f.required("reply"),
                    f.bool("failStart", false), f.string("awaits", null), f.positive("callTimeoutMs", 1_000), Restart.read(f));
        });
    }

    @Override
    protected String unpinned() {
        return "pins nothing";
    }

    @Override
    protected void check(ManifestPolicy policy, Manifest m) {
        if (m.reply().contains("\u0000")) {
            throw new IllegalArgumentException("field 'reply': contains a NUL");
        }
        judged.countDown();
        try {
            if (!afterJudging.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the deploy go on");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void removed(Plugin plugin) {
        removedPlugins.add(plugin.name());
    }

    @Override
    protected void started(Plugin plugin) {
        if (holdStarts) {
            held.add(plugin);
        } else {
            plugin.started();
        }
    }

    /** Starts the plugins held back. */
    void releaseHeld() {
        holdStarts = false;
        held.forEach(Plugin::started);
        held.clear();
    }

    @Override
    protected Plugin create(Manifest m, Class<?> contract) {
        return new Plugin(m, contract);
    }

    /** An instance: answers a call's JSON arguments with JSON text; the kit closes it once it is replaced and its calls are done. */
    final class Instance implements KitInstance {
        final String reply;
        final int number;
        final List<Capability> capabilities;
        volatile boolean ended;

        volatile String died;

        Instance(String reply, int number, List<Capability> capabilities) {
            this.reply = reply;
            this.number = number;
            this.capabilities = capabilities;
        }

        String answer(String method, String argumentsJson) {
            String text = ((String[]) JsonCodec.result(argumentsJson, String[].class))[0];
            if (WAIT.equals(text)) {
                waiting.incrementAndGet();
                try {
                    if (!gate.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never opened the gate");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return switch (method) {
                case "echo" -> text.equals("garbage") ? "not json" : "\"" + reply + text + " #" + number + "\"";
                case "count" -> text.isEmpty() ? "null" : Integer.toString(text.length());
                default -> throw new IllegalArgumentException(method);
            };
        }

        @Override
        public List<Capability> capabilities() {
            return capabilities;
        }

        @Override
        public void close() {
            ended = true;
        }

        @Override
        public String label() {
            return " (instance " + number + ")";
        }

        @Override
        public String died() {
            return died;
        }
    }

    /** What the transport adds to the kit's plugin: how an instance opens, how a call is made, what plugin:info shows. */
    final class Plugin extends Supervisor<Manifest, Instance> {
        Plugin(Manifest manifest, Class<?> contract) {
            super(EchoTransport.this, manifest, contract);
        }

        @Override
        protected boolean opensInForeground() {
            return opensInForeground;
        }

        /** Starts an instance unless the manifest says it fails, or what it waits for has not come. */
        @Override
        protected Instance open(Manifest m) {
            opensBegun.incrementAndGet();
            try {
                if (!opening.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never let the open go on");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (brokenOpens.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("a bug\nin the engine");
            }
            if (unlinkedOpens.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new NoClassDefFoundError("org/example/Engine");
            }
            if (crashingOpens.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new io.atrium.api.PluginCrashedException(m.name(), "exited with status 1, before its handshake");
            }
            if (m.failStart()) {
                throw new PluginRejectedException(m.name(), "its instance would not start (failStart)");
            }
            if (m.awaits() != null && !arrived.contains(m.awaits())) {
                throw new Awaits("waits for " + m.awaits(), null);
            }
            Instance i = new Instance(m.reply(), instances.size() + 1, m.capabilities());
            instances.add(i);
            if (dyingOpens.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                i.died = "exited with status 1, after its handshake";
                crashed(i, i.died); // as a process's reader tells it, on its own thread, while the launch goes on
            }
            return i;
        }

        @Override
        protected Object call(Instance i, Manifest m, Method method, Object[] args, long timeoutMs) {
            return CallResults.read(name(), method.getName(), method, i.answer(method.getName(), JsonCodec.arguments(args)));
        }

        @Override
        protected String callFunction(Instance i, Manifest m, String function, String input, long timeoutMs) {
            return i.answer(function, "[" + com.google.gson.JsonParser.parseString(input == null ? "\"\"" : input) + "]");
        }

        @Override
        protected Restart restart(Manifest m) {
            return restarts ? m.restart() : null;
        }

        /** The instance died, as a process's reader would say. */
        void died(Instance i, String reason) {
            crashed(i, reason);
        }

        @Override
        protected Map<String, String> details(Manifest m, Instance i) {
            return Map.of("instance", i == null ? "none" : Integer.toString(i.number));
        }
    }
}
