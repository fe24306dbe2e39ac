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
    /**
     * Whether an instance's start asks the policy again; false models a transport that publishes what
     * {@link KitPlugin#prepare} made ready, as the wasm transport does.
     */
    volatile boolean judgesAtLaunch = true;
    /** The plugins the kit said were removed ({@link #removed}), by name. */
    final List<String> removedPlugins = new CopyOnWriteArrayList<>();
    /** Calls that reached an instance and wait at the gate. */
    final AtomicInteger waiting = new AtomicInteger();
    /** The capability rules the kit passed with each plugin judged again, for the log: {@code greeter: CONTRACT = shout}. */
    final List<String> rules = new CopyOnWriteArrayList<>();

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
                    List<String> functions, String reply, boolean failStart, long callTimeoutMs) implements KitManifest {
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
            f.onlyKnown(Stream.concat(ManifestBasics.FIELDS.stream(), Stream.of("reply", "failStart", "callTimeoutMs")).toArray(String[]::new));
            ManifestBasics b = ManifestBasics.read(file, f, SUFFIX);
            return new Manifest(file, b.name(), b.version(), b.contract(), b.contractVersion(), b.capabilities(), b.functions(), f.required("reply"),
                    f.bool("failStart", false), f.positive("callTimeoutMs", 1_000));
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
    protected Plugin create(Manifest m, Class<?> contract) {
        return new Plugin(m, contract);
    }

    @Override
    protected void started(Plugin plugin) {
        plugin.launch();
    }

    @Override
    protected void reload(Plugin plugin) {
        plugin.reload();
    }

    @Override
    protected void start(Plugin plugin) {
        plugin.launch();
    }

    @Override
    protected void policyChanged(Plugin plugin, String rule) {
        rules.add(plugin.name() + ": " + rule);
        String refusal = refusal(plugin.manifest().file(), plugin.manifest().capabilities());
        if (refusal != null && plugin.current != null) {
            plugin.fail(refusal);
        } else if (refusal == null && plugin.state == PluginState.FAILED) {
            plugin.launch();
        }
    }

    /** An instance: answers a call's JSON arguments with JSON text; retired, it ends once its calls have. */
    final class Instance {
        final String reply;
        final int number;
        private final AtomicInteger inFlight = new AtomicInteger();
        private volatile boolean retired;
        volatile boolean ended;

        Instance(String reply, int number) {
            this.reply = reply;
            this.number = number;
        }

        String answer(String method, String argumentsJson) {
            inFlight.incrementAndGet();
            try {
                String text = ((String[]) JsonCodec.result(argumentsJson, String[].class))[0];
                if (WAIT.equals(text)) {
                    waiting.incrementAndGet();
                    if (!gate.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never opened the gate");
                    }
                }
                return switch (method) {
                    case "echo" -> text.equals("garbage") ? "not json" : "\"" + reply + text + " #" + number + "\"";
                    case "count" -> text.isEmpty() ? "null" : Integer.toString(text.length());
                    default -> throw new IllegalArgumentException(method);
                };
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                if (inFlight.decrementAndGet() == 0 && retired) {
                    ended = true;
                }
            }
        }

        void retire() {
            retired = true;
            if (inFlight.get() == 0) {
                ended = true;
            }
        }
    }

    final class Plugin implements KitPlugin<Manifest> {
        private volatile Manifest manifest;
        private final Class<?> contract;
        private final PluginService service;
        volatile Instance current;
        volatile PluginState state = PluginState.STARTING;
        private volatile String problem;

        Plugin(Manifest manifest, Class<?> contract) {
            this.manifest = manifest;
            this.contract = contract;
            this.service = new PluginService(context, kind(), contract, () -> this.manifest.name(), this::call);
        }

        @Override
        public Manifest manifest() {
            return manifest;
        }

        @Override
        public Class<?> contract() {
            return contract;
        }

        @Override
        public void adopt(Manifest next) {
            manifest = next;
        }

        @Override
        public void commit(Staged staged, Manifest next, boolean update) {
            manifest = next;
            if (update) {
                reload();
            }
        }

        /** Starts an instance unless the policy refuses the plugin or the manifest says it fails. */
        private Instance open() {
            Manifest m = manifest;
            String refusal = judgesAtLaunch ? refusal(m.file(), m.capabilities()) : null;
            if (refusal != null) {
                throw new PluginRejectedException(m.name(), refusal);
            }
            if (m.failStart()) {
                throw new PluginRejectedException(m.name(), "its instance would not start (failStart)");
            }
            Instance i = new Instance(m.reply(), instances.size() + 1);
            instances.add(i);
            return i;
        }

        void launch() {
            try {
                adopt(open());
            } catch (PluginRejectedException e) {
                fail(e.reason());
            }
        }

        /** A new instance first; calls move to it; the old one ends once its calls have. */
        void reload() {
            adopt(open());
        }

        private synchronized void adopt(Instance fresh) {
            Instance old = current;
            current = fresh;
            state = PluginState.ACTIVE;
            problem = null;
            service.publish(manifest, manifest.capabilities());
            if (old != null) {
                old.retire();
            }
        }

        synchronized void fail(String reason) {
            service.withdraw();
            Instance old = current;
            current = null;
            if (old != null) {
                old.retire();
            }
            state = PluginState.FAILED;
            problem = reason;
            record(manifest.name(), LifecycleEvent.FAIL, reason);
        }

        @Override
        public synchronized void stop() {
            service.withdraw();
            Instance old = current;
            current = null;
            if (old != null) {
                old.retire();
            }
            state = PluginState.STOPPED;
        }

        private Object call(Method method, Object[] args) {
            Instance i = current;
            if (i == null) {
                throw new PluginUnavailableException(name(), "is " + state);
            }
            return CallResults.read(name(), method.getName(), method, i.answer(method.getName(), JsonCodec.arguments(args)));
        }

        @Override
        public PluginDescriptor descriptor() {
            return service.descriptor(manifest, manifest.capabilities(), state);
        }

        @Override
        public PluginProblem problem() {
            String p = problem;
            return p == null ? null : new PluginProblem(name(), manifest.file().getFileName().toString(), p);
        }

        @Override
        public Map<String, String> details() {
            Instance i = current;
            return Map.of("instance", i == null ? "none" : Integer.toString(i.number));
        }
    }
}
