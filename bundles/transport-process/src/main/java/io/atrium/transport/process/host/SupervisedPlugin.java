package io.atrium.transport.process.host;

import com.google.gson.JsonElement;
import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginState;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.spi.LifecycleEvent;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.support.kit.CallResults;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.process.protocol.Messages;
import io.atrium.transport.support.kit.KitPlugin;
import io.atrium.transport.support.kit.PluginService;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.logging.Level;
import org.osgi.framework.BundleContext;

/**
 * One process plugin over its life: it launches the plugin, registers a proxy of its contract while
 * it answers, withdraws the proxy when it dies, restarts it with exponential backoff, and marks it
 * failed after too many crashes in a window. A reload starts the new process first and moves calls to
 * it only once its handshake is done.
 */
public final class SupervisedPlugin implements PluginProcess.Owner, KitPlugin<PluginManifest> {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "process";
    /** How long a health check waits for the plugin's answer. */
    static final long PING_TIMEOUT_MS = 2_000;

    private final BundleContext context;
    private final ScheduledExecutorService timers;
    private final ExecutorService work;
    private final Class<?> contract;
    private final Function<List<Capability>, String> policy;
    private final Launcher launcher;
    private final PluginLog log;
    /** The proxy of its contract, registered while an instance answers. */
    private final PluginService service;
    private volatile PluginManifest manifest;
    private volatile Invoker current;
    private volatile PluginState state = PluginState.STARTING;
    private volatile String problem;
    private volatile List<Capability> capabilities;
    private final Deque<Long> crashes = new ArrayDeque<>();
    private int restarts;
    private volatile boolean stopped;
    private ScheduledFuture<?> restart;
    private ScheduledFuture<?> health;
    /** Told what happens to the plugin (crash, restart, fail) and why (or null), for the lifecycle metrics and the last error. */
    private final BiConsumer<LifecycleEvent, String> events;

    /**
     * @param policy given the capabilities a plugin declares, a reason to refuse it, or null
     * @param events  told what happens to the plugin (crash, restart, fail) and why (null for a restart)
     */
    public SupervisedPlugin(BundleContext context, ScheduledExecutorService timers, ExecutorService work, Launcher launcher,
                            PluginManifest manifest, Class<?> contract, Function<List<Capability>, String> policy,
                            BiConsumer<LifecycleEvent, String> events) {
        this.context = context;
        this.events = events;
        this.launcher = launcher;
        this.timers = timers;
        this.work = work;
        this.manifest = manifest;
        this.contract = contract;
        this.policy = policy;
        this.capabilities = manifest.capabilities();
        this.log = new PluginLog(manifest.name());
        this.service = new PluginService(context, TRANSPORT_ID, contract, () -> this.manifest.name(), this::invoke);
        this.invocable = Functions.isInvocable(contract);
    }

    /** Whether the plugin has no contract of its own: its methods are called by name. */
    private final boolean invocable;

    @Override
    public PluginManifest manifest() {
        return manifest;
    }

    @Override
    public Class<?> contract() {
        return contract;
    }

    /** Stopped by an operator: the manifest its next start launches. */
    @Override
    public void adopt(PluginManifest next) {
        manifest = next;
    }

    /** A new plugin is started by the transport once it is listed; a deployed one is reloaded with the new manifest. */
    @Override
    public void commit(Staged staged, PluginManifest next, boolean update) {
        if (update) {
            redeploy(next);
        }
    }

    // ------------------------------------------------------------------ life

    /** Launches the plugin in the background. */
    public void start() {
        background(this::launch);
    }

    /** Runs on the launcher pool; once the transport is stopping, it is dropped. */
    private void background(Runnable task) {
        try {
            work.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the transport is going away with its plugins
        }
    }

    private void launch() {
        PluginManifest m = manifest;
        Invoker fresh;
        try {
            fresh = open(m);
        } catch (PluginException e) {
            startFailed(e);
            return;
        }
        retireReplaced(adopt(fresh), fresh, m); // (a reload may have brought up an instance meanwhile)
    }

    /**
     * A launch or reload did not start: with nothing running, a refusal fails the plugin and any other
     * failure counts as a crash, under the restart policy: an exit before the handshake or a handshake
     * too slow may pass by itself (a dependency not up yet, a machine busy starting), what a handshake
     * announced would not (docs/protocol.md, section 3). Decided under the lock, so an instance that a
     * concurrent launch or reload brought up meanwhile keeps serving (and is never dropped unstopped).
     */
    private synchronized void startFailed(PluginException e) {
        if (current != null) {
            return;
        }
        if (e instanceof PluginRejectedException) {
            fail(e.reason());
        } else {
            crashed(null, e.reason());
        }
    }

    /**
     * Ends what {@link #adopt} replaced: the fresh instance itself when the plugin was stopped
     * meanwhile, an old process once its calls are done, an exec runner at once.
     */
    private void retireReplaced(Invoker old, Invoker fresh, PluginManifest m) {
        if (old == fresh) {
            fresh.shutdown(); // stopped while it launched
        } else if (old instanceof PluginProcess op) {
            background(() -> op.retire(m.limits().callTimeoutMs()));
            log.host(Level.INFO, "replaced: pid " + op.pid() + " retires once its calls are done");
        } else if (old != null) {
            background(old::shutdown);
        }
    }

    /**
     * Makes a started instance the one calls go to, and the plugin's service registered.
     *
     * @return the instance it replaces (or null); {@code fresh} itself when the plugin was stopped
     *         meanwhile, and the caller must shut it down
     */
    private Invoker adopt(Invoker fresh) {
        Invoker old;
        synchronized (this) {
            if (stopped) {
                return fresh;
            }
            if (restart != null) {
                restart.cancel(false);
            }
            old = current;
            current = fresh;
            state = PluginState.ACTIVE;
            problem = null;
            service.publish(manifest, capabilities);
        }
        scheduleHealth();
        return old;
    }

    /** Starts an instance of the manifest: a process with its handshake done and the policy checked, or the exec runner. */
    private Invoker open(PluginManifest m) {
        if (m.mode() == PluginManifest.Mode.EXEC) {
            capabilities = m.capabilities();
            String refusal = policy.apply(capabilities);
            if (refusal != null) {
                throw new PluginRejectedException(m.name(), refusal);
            }
            return new ExecRunner(launcher, m, log, timers);
        }
        PluginProcess p = PluginProcess.launch(launcher, m, log, this);
        capabilities = p.handshake().capabilities(); // known even when refused: a changed policy may accept it later
        String refusal = policy.apply(capabilities);
        if (refusal != null) {
            p.shutdown();
            throw new PluginRejectedException(m.name(), refusal);
        }
        log.host(Level.INFO, "started: pid " + p.pid() + ", " + m.contract() + ", capabilities " + capabilities);
        return p;
    }

    @Override
    public void broken(PluginProcess process, String reason) {
        crashed(process, reason);
    }

    /** The instance died, or a launch failed as a crash would: withdraw, then restart after a backoff, or give up. */
    private void crashed(PluginProcess process, String reason) {
        synchronized (this) {
            if (stopped || (process != null && process != current)) {
                return; // an instance being replaced or stopped: nobody waits for it
            }
            current = null;
            service.withdraw();
            events.accept(LifecycleEvent.CRASH, reason);
            long now = System.nanoTime();
            crashes.addLast(now);
            long window = TimeUnit.SECONDS.toNanos(manifest.restart().windowSeconds());
            while (!crashes.isEmpty() && now - crashes.peekFirst() > window) {
                crashes.removeFirst();
            }
            PluginManifest.Restart policy = manifest.restart();
            if (crashes.size() > policy.maxRestarts()) {
                state = PluginState.FAILED;
                problem = "crashed " + crashes.size() + " times within " + policy.windowSeconds() + " s; last: " + reason;
                log.host(Level.SEVERE, "failed: " + problem + "; not restarted again until it is started, reloaded or redeployed");
                events.accept(LifecycleEvent.FAIL, problem);
                return;
            }
            long delay = Math.min(policy.maxBackoffMs(), policy.initialBackoffMs() << Math.min(20, crashes.size() - 1));
            if (restart != null) {
                restart.cancel(false); // one restart pending at a time (a failed reload may come during a backoff)
            }
            state = PluginState.STARTING;
            problem = reason;
            // maxRestarts crashes are restarted; the one after them fails the plugin
            log.host(Level.WARNING, reason + "; restarting in " + delay + " ms (crash " + crashes.size() + " of "
                    + policy.maxRestarts() + " allowed within " + policy.windowSeconds() + " s)");
            restart = timers.schedule(() -> background(this::relaunch), delay, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The supervisor's launch after a crash: a restart, counted (in {@code restarts} and the lifecycle
     * metrics) whether the new instance comes up or crashes too, so a plugin that dies at every start
     * shows as many restarts as the log shows relaunches.
     */
    private void relaunch() {
        synchronized (this) {
            if (stopped) {
                return; // stopped during the backoff
            }
            restarts++;
        }
        events.accept(LifecycleEvent.RESTART, null);
        launch();
    }

    private synchronized void fail(String reason) {
        fail(reason, "refused: " + reason);
    }

    /** Guarded by this. */
    private void fail(String reason, String logLine) {
        if (stopped) {
            return;
        }
        current = null;
        service.withdraw();
        state = PluginState.FAILED;
        problem = reason;
        log.host(Level.SEVERE, logLine);
        events.accept(LifecycleEvent.FAIL, reason);
    }

    /**
     * Starts a new instance (with the current manifest), moves new calls to it, lets calls in flight
     * finish on the old one, then stops the old one. A plugin that failed starts afresh.
     *
     * @throws PluginException when the new instance does not start; the old one, if any, keeps running
     */
    public void reload() {
        PluginManifest m = manifest;
        Invoker fresh;
        try {
            fresh = open(m);
        } catch (PluginException e) {
            boolean running;
            synchronized (this) {
                running = current != null;
            }
            log.host(Level.WARNING, "reload failed: " + e.reason() + (running ? "; the running instance keeps serving" : ""));
            startFailed(e); // nothing runs (it crashed and waits to restart, or had failed): as a failed launch
            throw e;
        }
        synchronized (this) {
            crashes.clear(); // a reload is a fresh start: the crash window begins again
        }
        retireReplaced(adopt(fresh), fresh, m);
    }

    /** The manifest (or a file it names) changed: reload with the new one. Runs in the background. */
    public void redeploy(PluginManifest next) {
        manifest = next;
        background(() -> {
            try {
                reload();
            } catch (PluginException e) {
                // logged by reload; the old instance keeps running if there was one
            }
        });
    }

    /** The reason given when the capability policy refuses a plugin starts so (see TransportTrust.capabilityRefusal). */
    private static final String LACKS = "lacks the capabilit";

    /**
     * The capability policy changed: a running plugin that now lacks a required capability is
     * refused at once (its service withdrawn, its process stopped: a tightened security policy bites
     * now, not at the next restart), with one line in the log naming it and the rule; one refused for
     * that before, and now acceptable, is launched again.
     *
     * @param rule the policy's rule for this plugin's contract, as the configuration reads, for the log
     */
    public void policyChanged(String rule) {
        Invoker old = null;
        boolean relaunch = false;
        synchronized (this) {
            if (stopped) {
                return;
            }
            String refusal = policy.apply(capabilities);
            if (refusal != null && current != null) {
                old = current;
                String pid = old instanceof PluginProcess p ? " (pid " + p.pid() + ")" : "";
                fail(refusal, refusal.startsWith(ManifestPolicy.TRUST_REFUSAL)
                        ? "stopped" + pid + " by the changed trust policy: " + refusal.substring(ManifestPolicy.TRUST_REFUSAL.length())
                        : "stopped" + pid + " by the changed capability policy, rule '" + rule + "': it " + refusal);
            } else if (refusal == null && state == PluginState.FAILED && problem != null
                    && (problem.startsWith(LACKS) || problem.startsWith(ManifestPolicy.TRUST_REFUSAL))) {
                state = PluginState.STARTING;
                problem = null;
                relaunch = true;
            }
        }
        if (old != null) {
            background(old::shutdown);
        }
        if (relaunch) {
            log.host(Level.INFO, "the capability policy accepts it now: launching");
            start();
        }
    }

    /**
     * Launches a plugin an operator stopped, or one that failed (given up on after its crashes, or
     * refused), afresh; nothing when it runs or is starting.
     */
    public void resume() {
        synchronized (this) {
            if (!stopped && state != PluginState.FAILED) {
                return;
            }
            stopped = false;
            crashes.clear();
            problem = null;
            state = PluginState.STARTING;
        }
        log.host(Level.INFO, "started by an operator");
        start();
    }

    /** Withdraws the service now, and stops the instance in the background. */
    @Override
    public void stop() {
        Invoker old;
        synchronized (this) {
            stopped = true;
            if (restart != null) {
                restart.cancel(false);
            }
            if (health != null) {
                health.cancel(false);
            }
            service.withdraw();
            old = current;
            current = null;
            state = PluginState.STOPPED;
        }
        if (old != null) {
            background(old::shutdown);
        }
    }

    // ------------------------------------------------------------------ calls

    private Object invoke(Method method, Object[] args) {
        if (invocable) { // a method named by the caller, its input the JSON arguments, its result's JSON the answer
            PluginManifest m = manifest;
            String function = Functions.checked(name(), (String) args[0], m.functions().isEmpty() ? null : m.functions());
            return Messages.GSON.toJson(call(function, Functions.jsonArguments(name(), function, (String) args[1])));
        }
        return CallResults.read(name(), method.getName(), method, call(method.getName(), JsonCodec.arguments(args)));
    }

    private JsonElement call(String method, String params) {
        long timeout = manifest.limits().callTimeoutMs();
        while (true) {
            Invoker inv = current;
            if (inv == null) {
                throw new PluginUnavailableException(name(), "is " + state + (problem == null ? "" : ": " + problem));
            }
            try {
                return inv.call(method, params, timeout);
            } catch (Invoker.Retired moved) {
                Thread.onSpinWait(); // a reload moved calls to the new instance: go there
                continue;
            } catch (PluginTimeoutException e) {
                if (inv instanceof PluginProcess p) {
                    p.checkHealth(PING_TIMEOUT_MS); // a hung plugin is killed, then restarted
                }
                throw e;
            }
        }
    }

    @Override
    public JsonElement config() {
        return manifest.config();
    }

    /** Bounds a write to the running process's stdin (see {@link PluginProcess#checkWrites()}). */
    public void checkWrites() {
        if (current instanceof PluginProcess p) {
            p.checkWrites();
        }
    }

    private void scheduleHealth() {
        long every = manifest.limits().healthIntervalMs();
        synchronized (this) {
            if (health != null || every == 0 || manifest.mode() == PluginManifest.Mode.EXEC) {
                return;
            }
            health = timers.scheduleWithFixedDelay(() -> {
                if (current instanceof PluginProcess p && p.alive()) {
                    // on the work pool: the ping's write may block on a full pipe, and this timer thread also
                    // runs every plugin's restarts and the sweep (checkWrites) that ends such a block
                    background(() -> p.checkHealth(PING_TIMEOUT_MS));
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------ what the registry and the shell see

    @Override
    public PluginDescriptor descriptor() {
        return service.descriptor(manifest, capabilities, state);
    }

    /** @return the reason the plugin is not active, when it is failed or restarting */
    @Override
    public PluginProblem problem() {
        String p = problem;
        PluginState s = state;
        return p == null || s == PluginState.ACTIVE || s == PluginState.STOPPED ? null
                : new PluginProblem(name(), manifest.file().getFileName().toString(), (s == PluginState.FAILED ? "" : "restarting: ") + p);
    }

    @Override
    public Map<String, String> details() {
        PluginManifest m = manifest;
        Map<String, String> d = new LinkedHashMap<>();
        d.put("mode", m.mode().name().toLowerCase(java.util.Locale.ROOT));
        d.put("command", String.join(" ", m.command()));
        if (invocable) {
            d.put("functions", m.functions().isEmpty() ? "any (none declared)" : String.join(", ", m.functions()));
        }
        Invoker inv = current;
        if (inv instanceof PluginProcess p) {
            d.put("pid", Long.toString(p.pid()));
            d.put("protocol", Integer.toString(p.handshake().protocol()));
        }
        d.put("restarts", Integer.toString(restarts));
        d.put("memory cap", m.limits().memoryMb() == 0 ? "none" : m.limits().memoryMb() + " MiB");
        d.put("cpu cap", m.limits().cpuSeconds() == 0 ? "none" : m.limits().cpuSeconds() + " s");
        if (problem != null) {
            d.put("problem", problem);
        }
        return d;
    }
}
