package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginState;
import io.atrium.api.PluginUnavailableException;
import io.atrium.spi.LifecycleEvent;
import io.atrium.transport.support.Escape;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.PluginLog;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

/**
 * One deployed plugin of a transport built on {@link ManifestTransport}, over its life: the instance calls
 * go to, the proxy of its contract registered while one answers, and what happens when one starts, is
 * replaced, dies or is refused. The kit does all of it the same way for every transport:
 * <ul>
 * <li>a reload or a changed manifest opens a new instance first and moves new calls to it; calls in flight
 * finish on the old one, which is closed once they have (the kit counts them);</li>
 * <li>an instance that dies ({@link #crashed}) withdraws the service and is restarted after a backoff,
 * under the manifest's {@link Restart} policy, until too many crashes in its window fail the plugin; a
 * transport whose instances do not restart ({@link #restart} null) fails it at once;</li>
 * <li>the core's capability and trust policies judge what each instance declares when it opens and
 * whenever they change: a refused plugin stops at once and starts again when they accept it;</li>
 * <li>an operator's stop withdraws the service and closes the instance until a start;</li>
 * <li>{@code CRASH}, {@code RESTART} and {@code FAIL} go to the core's lifecycle, with the reason.</li>
 * </ul>
 * A transport supplies how an instance opens ({@link #open}) and how a call is made on it ({@link #call},
 * {@link #callFunction}); it tells the kit when an instance dies. Thread-safe: the state changes under
 * this object's lock, an instance opens holding none.
 *
 * @param <M> the transport's manifest
 * @param <I> the transport's instance
 */
public abstract class Supervisor<M extends KitManifest, I extends KitInstance> {

    /**
     * Thrown by {@link #open} when the instance cannot open until something else comes (a host function
     * another bundle provides): the plugin is listed as failed with the reason, no failure is counted,
     * and {@link #retry} opens it when the transport sees what it waits for.
     */
    public static final class Awaits extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Runnable recheck;

        /**
         * @param reason  what it waits for, as plugin:problems says it
         * @param recheck run once the plugin is marked waiting: what it waits for may have come while it
         *                opened, unseen by the transport's {@link #retry}
         */
        public Awaits(String reason, Runnable recheck) {
            super(reason, null, false, false);
            this.recheck = recheck;
        }
    }

    /** A refusal by the core's capability or trust policy: the plugin starts again when the policy accepts it. */
    private static final class Refused extends PluginRejectedException {
        private static final long serialVersionUID = 1L;

        Refused(String plugin, String reason) {
            super(plugin, reason);
        }
    }

    /** What {@link #prepare} made ready for a deployment, not yet the plugin's: committed, or discarded. */
    interface Staged {
        /** Drops what was made ready (a deployment lost a race, or a newer one came). */
        void discard();
    }

    /** Nothing made ready: a transport whose instances open in the background. */
    private static final Staged NOTHING = () -> { };

    /** An instance opened for a deployment, or why it waits, not yet the plugin's. */
    private final class Opened implements Staged {
        final I instance;
        final Awaits awaits;

        Opened(I instance, Awaits awaits) {
            this.instance = instance;
            this.awaits = awaits;
        }

        @Override
        public void discard() {
            if (instance != null) {
                closeLater(instance);
            }
        }
    }

    /** An instance calls go to, and the calls in flight on it; retired, it is closed once they are done. */
    private static final class Slot<M, I extends KitInstance> {
        private static final int RETIRED = 1 << 30;
        final I instance;
        /** The manifest it was opened with: its calls read this one, not a newer one committed before the instance that opens it. */
        final M manifest;
        private final AtomicInteger calls = new AtomicInteger();
        private final AtomicBoolean closed = new AtomicBoolean();

        Slot(I instance, M manifest) {
            this.instance = instance;
            this.manifest = manifest;
        }

        /** @return whether the call may go here; false once it is retired (the caller looks for its successor) */
        boolean enter() {
            if ((calls.incrementAndGet() & RETIRED) == 0) {
                return true;
            }
            calls.decrementAndGet(); // never the last word: retire or the last call's exit closes it
            return false;
        }

        /** @return whether this call was the last one of a retired instance, which is now to be closed */
        boolean exit() {
            return calls.decrementAndGet() == RETIRED && close();
        }

        /** @return whether no call is in flight, so it is to be closed now */
        boolean retire() {
            return calls.addAndGet(RETIRED) == RETIRED && close();
        }

        /** @return true the first time only */
        boolean close() {
            return closed.compareAndSet(false, true);
        }
    }

    private final ManifestTransport<M, ?> transport;
    private final Class<?> contract;
    /** Whether the plugin has no contract of its own: it is called by function name. */
    private final boolean invocable;
    /** The proxy of its contract, registered while an instance answers. */
    private final PluginService service;
    /** The plugin's lines in the host's log. */
    protected final PluginLog log;
    private volatile M manifest;
    private volatile Slot<M, I> current;
    private volatile PluginState state = PluginState.STARTING;
    private volatile String problem;
    /** Whether the problem is the policies' refusal: it starts again when they accept it. */
    private boolean refused;
    /** Whether the problem is what it waits for ({@link Awaits}). */
    private volatile boolean awaiting;
    /** What the last instance declared (known even when refused: a changed policy may accept it later). */
    private volatile List<Capability> capabilities;
    private final Deque<Long> crashes = new ArrayDeque<>();
    private volatile int restarts;
    private boolean stopped;
    private ScheduledFuture<?> restart;
    /** Grows at each deployment and stop: an instance opened before one is not the plugin's. */
    private long generation;

    /**
     * @param transport the transport, whose policies, lifecycle and threads the plugin uses
     * @param manifest  the manifest it is deployed with
     * @param contract  the contract interface its proxy implements
     */
    protected Supervisor(ManifestTransport<M, ?> transport, M manifest, Class<?> contract) {
        this.transport = transport;
        this.manifest = manifest;
        this.contract = contract;
        this.invocable = Functions.isInvocable(contract);
        this.capabilities = manifest.capabilities();
        this.log = new PluginLog(manifest.name());
        this.service = new PluginService(transport.context, transport.kind(), transport.carriesTraceContext(), contract, () -> this.manifest.name(),
                this::invoke);
    }

    // ------------------------------------------------------------------ what a transport supplies

    /**
     * Opens an instance of the manifest, holding no lock; the kit then judges what it declares.
     *
     * @throws PluginRejectedException what it announced will not do (it fails the plugin, no restart helps)
     * @throws PluginException         or IllegalArgumentException: it did not start (a crash, under the restart policy)
     * @throws Awaits                  it cannot start until something else comes
     */
    protected abstract I open(M m);

    /**
     * Calls a contract method on an instance.
     *
     * @param timeoutMs how long it may take ({@link KitManifest#callTimeoutMs()})
     */
    protected abstract Object call(I instance, M m, Method method, Object[] args, long timeoutMs);

    /** Calls a function by name, for a plugin with no contract of its own; the kit checked the name against {@link #functions}. */
    protected abstract String callFunction(I instance, M m, String function, String input, long timeoutMs);

    /** @return the functions a plugin with no contract may be called by (for this instance, or null when none runs); null for any */
    protected Collection<String> functions(M m, I instance) {
        return m.functions().isEmpty() ? null : m.functions();
    }

    /** @return how a dead instance is restarted; null when the transport's instances do not die on their own (a failure fails the plugin) */
    protected Restart restart(M m) {
        return null;
    }

    /**
     * @return whether an instance opens on the thread that asks (a deploy, which fails when it does not
     *         open; a start; a changed policy), not in the background
     */
    protected boolean opensInForeground() {
        return false;
    }

    /** An instance became the one calls go to (not under the lock); nothing by default. */
    protected void opened(I instance) {
    }

    /** The plugin stopped (an operator's stop, an undeploy, a redeploy as another plugin); nothing by default. */
    protected void stopped() {
    }

    /** @return the transport's facts for {@code plugin:info}, in display order; the kit adds the problem */
    protected abstract Map<String, String> details(M m, I instance);

    // ------------------------------------------------------------------ what the transport and the kit ask

    /** @return the manifest in force */
    public final M manifest() {
        return manifest;
    }

    /** @return the contract interface its proxy implements */
    public final Class<?> contract() {
        return contract;
    }

    /** @return the plugin's name */
    public final String name() {
        return manifest.name();
    }

    /** @return the instance calls go to now, or null */
    protected final I instance() {
        Slot<M, I> s = current;
        return s == null ? null : s.instance;
    }

    /** @return how often it was restarted after a crash */
    protected final int restarts() {
        return restarts;
    }

    /** @return whether it waits for something else to come ({@link Awaits}) */
    public final boolean awaiting() {
        return awaiting;
    }

    /** @return whether it is to be called by function name */
    protected final boolean invocable() {
        return invocable;
    }

    /** Runs on the transport's work pool; once it is stopping, dropped. */
    protected final void background(Runnable task) {
        try {
            transport.work().execute(task);
        } catch (RejectedExecutionException stopping) {
            // the transport is going away with its plugins
        }
    }

    // ------------------------------------------------------------------ deploy, as the kit drives it

    /** Opens an instance for a deployment, holding no lock, when instances open in the foreground. */
    final Staged prepare(M next) {
        if (!opensInForeground()) {
            return NOTHING;
        }
        try {
            return new Opened(openCaught(next), null);
        } catch (Awaits a) {
            return new Opened(null, a);
        } catch (PluginException e) {
            throw new IllegalArgumentException("was not deployed: " + e.reason());
        }
    }

    /**
     * Makes a deployed manifest the plugin's, under the transport's lock: what {@link #prepare} opened
     * replaces the running instance; a background transport's plugin opens one anew.
     *
     * @param update whether the plugin ran an earlier manifest
     */
    final void commit(Staged staged, M next, boolean update) {
        long gen;
        boolean held;
        synchronized (this) {
            manifest = next;
            gen = ++generation;
            held = !begun;
        }
        if (staged instanceof Supervisor<?, ?>.Opened) {
            @SuppressWarnings("unchecked")
            Opened o = (Opened) staged;
            if (o.awaits != null) {
                await(o.awaits, gen);
            } else if (!update) {
                ready = o.instance; // published by started(): only once the transport lists it
            } else {
                adopt(o.instance, gen, transport.policy().trustGeneration()); // the deploy judges it again if the policies changed
            }
        } else if (update && !held) { // one the transport holds back opens with the manifest in force when it starts
            background(() -> {
                try {
                    reload();
                } catch (PluginException e) {
                    // logged by reload; the old instance keeps serving if there was one
                }
            });
        }
    }

    /** Opened for a new plugin's deployment, made the plugin's by {@link #started}. */
    private I ready;
    /** Whether the transport started it ({@link #started}): until then a redeploy opens nothing. Guarded by this. */
    private boolean begun;

    /** Stopped by an operator: the manifest its next start opens; nothing opens now. */
    final synchronized void adopt(M next) {
        manifest = next;
        generation++;
    }

    /** The transport listed the plugin: it starts (what {@link #prepare} opened is published, or one opens in the background). */
    public final void started() {
        I r;
        long gen;
        synchronized (this) {
            r = ready;
            ready = null;
            gen = generation;
            begun = true;
        }
        if (r != null) {
            adopt(r, gen, transport.policy().trustGeneration()); // as opened by its deploy, which judges it again if the policies changed
        } else if (!awaiting) {
            background(this::launch);
        }
    }

    // ------------------------------------------------------------------ life

    /** Opens an instance and makes it the plugin's, or records why it did not open. */
    private void launch() {
        long gen;
        synchronized (this) {
            if (stopped) {
                return;
            }
            gen = generation;
        }
        long judgedBy = transport.policy().trustGeneration(); // before the judging: a change after it is judged again
        I fresh;
        try {
            fresh = openJudged(manifest);
        } catch (Awaits a) {
            await(a, gen);
            return;
        } catch (PluginException e) {
            startFailed(e, gen);
            return;
        }
        adopt(fresh, gen, judgedBy);
    }

    /** Opens an instance, then judges what it declares by the policies in force; a refused one is closed. */
    private I openJudged(M m) {
        I fresh = openCaught(m);
        List<Capability> declared = fresh.capabilities();
        synchronized (this) {
            if (current == null) { // known even when refused: a changed policy may accept it later; what runs is judged by its own
                capabilities = declared;
            }
        }
        String refusal = transport.refusal(m.file(), declared);
        if (refusal != null) {
            closeLater(fresh);
            throw new Refused(m.name(), worded(refusal));
        }
        return fresh;
    }

    /**
     * Opens an instance, holding no lock. Anything else it throws than {@link #open} may (a bug of the
     * transport's or its engine's) is a failure to open too, in one line: the plugin is not left starting,
     * with the thread that opened it gone.
     */
    private I openCaught(M m) {
        try {
            return open(m);
        } catch (Awaits | PluginException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new PluginException(m.name(), e.getMessage(), null);
        } catch (RuntimeException | LinkageError e) { // a class the transport or its engine lacks is such a bug too
            throw new PluginException(m.name(), "could not be opened: " + Escape.oneLine(e.toString()), e);
        }
    }

    /** @return a policy's refusal as plugin:problems says it, e.g. {@code is refused: it lacks the capability shout, …} */
    private static String worded(String refusal) {
        return "is refused: " + (refusal.startsWith(ManifestPolicy.TRUST_REFUSAL) ? refusal : "it " + refusal);
    }

    /**
     * Makes an opened instance the one calls go to and the service registered; the one it replaces
     * finishes its calls, then closes. Dropped when the plugin stopped, or another deployment came, since
     * it began to open.
     *
     * @param judgedBy the policies' generation it was judged by: changed since, it is judged again here
     * @return why it was not made the plugin's though it opened for it, as a reload says it ({@code reload
     *         failed: …}: it died meanwhile; {@code reload refused: …}); else null
     */
    private String adopt(I fresh, long gen, long judgedBy) {
        Slot<M, I> old;
        synchronized (this) {
            if (stopped || gen != generation) {
                closeLater(fresh);
                return null;
            }
            String died = fresh.died();
            if (died != null) {
                // it died once open, and its death was told before it was the plugin's, to no avail: a launch that did not open
                closeLater(fresh);
                if (current == null) {
                    crashedNow(null, died);
                } else {
                    log.host(Level.WARNING, "reload failed: " + died + "; the running instance keeps serving");
                }
                return "reload failed: " + died;
            }
            if (judgedBy != transport.policy().trustGeneration()) {
                // the policies changed while it was judged, and their judging of the running plugins came before it ran
                String refusal = transport.refusal(manifest.file(), fresh.capabilities());
                if (refusal != null) {
                    closeLater(fresh);
                    if (current == null && !refused) { // (what runs was judged with the rest: refused, it is failed already)
                        fail(worded(refusal), worded(refusal), true);
                    }
                    return "reload refused: " + worded(refusal).substring("is refused: ".length());
                }
            }
            if (restart != null) {
                restart.cancel(false);
                restart = null;
            }
            old = current;
            current = new Slot<>(fresh, manifest); // the one it opened with: the generation is the same
            capabilities = fresh.capabilities();
            state = PluginState.ACTIVE;
            problem = null;
            refused = false;
            awaiting = false;
            M m = manifest;
            Collection<String> f = functions(m, fresh);
            service.publish(m, capabilities, f == null ? List.of() : f);
        }
        if (old != null) {
            retire(old);
            log.host(Level.INFO, "replaced:" + old.instance.label() + " closes once its calls are done");
        } else {
            log.host(Level.INFO, "started" + fresh.label() + ", " + manifest.contract() + ", capabilities " + fresh.capabilities());
        }
        opened(fresh);
        return null;
    }

    /**
     * Marks the plugin waiting for what {@link Awaits} names, in place of the instance that runs (its
     * manifest, or what it needs, changed): listed failed with the reason, no failure counted.
     */
    private void await(Awaits a, long gen) {
        Slot<M, I> old;
        synchronized (this) {
            if (stopped || gen != generation) {
                return; // it stopped, or another deployment came: nothing waits
            }
            old = current;
            current = null;
            state = PluginState.FAILED; // before the withdrawal: whoever hears of it asks why
            problem = a.getMessage();
            awaiting = true;
            refused = false;
            service.withdraw();
        }
        if (old != null) {
            retire(old);
        }
        log.host(Level.WARNING, a.getMessage());
        if (a.recheck != null) {
            a.recheck.run();
        }
    }

    /**
     * A launch or reload did not open: with nothing running, a refusal fails the plugin, and any other
     * failure counts as a crash, under the restart policy (an exit before a handshake may pass by itself;
     * what a handshake announced would not). An instance that another launch brought up meanwhile keeps serving.
     */
    private synchronized void startFailed(PluginException e, long gen) {
        if (current != null || stopped || gen != generation) {
            return;
        }
        if (e instanceof PluginRejectedException) {
            // a policy's refusal reads as it is listed (is refused: …); what the transport refused says what
            fail(e.reason(), e instanceof Refused ? e.reason() : "refused: " + e.reason(), e instanceof Refused);
        } else {
            crashed(null, e.reason());
        }
    }

    /**
     * The transport saw an instance die: the service is withdrawn, and the plugin restarted after a
     * backoff, or failed when it crashed too often within the window (or its transport does not restart).
     *
     * @param instance the instance that died; null for one that did not open
     */
    protected final void crashed(I instance, String reason) {
        if (crashedNow(instance, reason) && instance != null) {
            closeLater(instance); // what it left (a process's children) goes too
        }
    }

    /** @return whether it was the plugin's instance (or none opened) */
    private synchronized boolean crashedNow(I instance, String reason) {
        {
            Slot<M, I> s = current;
            if (stopped || (instance != null && (s == null || s.instance != instance))) {
                return false; // one being replaced or stopped: nobody waits for it
            }
            if (s != null) {
                s.close(); // closed here, not again by a retire
            }
            current = null;
            transport.record(name(), LifecycleEvent.CRASH, reason);
            M m = manifest;
            Restart policy = restart(m);
            if (policy == null) {
                fail(reason, "failed: " + reason, false);
                return true;
            }
            long now = System.nanoTime();
            crashes.addLast(now);
            long window = TimeUnit.SECONDS.toNanos(policy.windowSeconds());
            while (!crashes.isEmpty() && now - crashes.peekFirst() > window) {
                crashes.removeFirst();
            }
            if (crashes.size() > policy.maxRestarts()) {
                String why = "crashed " + crashes.size() + " times within " + policy.windowSeconds() + " s; last: " + reason;
                fail(why, "failed: " + why + "; not restarted again until it is started, reloaded or redeployed", false);
                return true;
            }
            long delay = policy.backoffMs(crashes.size());
            if (restart != null) {
                restart.cancel(false); // one restart pending at a time (a failed reload may come during a backoff)
            }
            state = PluginState.STARTING; // before the withdrawal: whoever hears of it asks why (a consumer's facade, the registry)
            problem = reason;
            service.withdraw();
            // maxRestarts crashes are restarted; the one after them fails the plugin
            log.host(Level.WARNING, reason + "; restarting in " + delay + " ms (crash " + crashes.size() + " of "
                    + policy.maxRestarts() + " allowed within " + policy.windowSeconds() + " s)");
            restart = transport.timers().schedule(() -> background(this::relaunch), delay, TimeUnit.MILLISECONDS);
            return true;
        }
    }

    /**
     * The launch after a crash: a restart, counted whether the new instance comes up or dies too, so a
     * plugin that dies at every start shows as many restarts as the log shows relaunches.
     */
    private void relaunch() {
        synchronized (this) {
            if (stopped || state != PluginState.STARTING) {
                return; // stopped or failed during the backoff, or started by a reload meanwhile
            }
            restarts++;
        }
        transport.record(name(), LifecycleEvent.RESTART, null);
        launch();
    }

    /** Guarded by this: withdraws the service, marks the plugin failed and says why. */
    private void fail(String reason, String logLine, boolean byPolicy) {
        if (restart != null) { // one pending from before (a reload failed during the backoff): a failed plugin waits for its start
            restart.cancel(false);
            restart = null;
        }
        current = null;
        state = PluginState.FAILED; // before the withdrawal: whoever hears of it asks why
        problem = reason;
        refused = byPolicy;
        awaiting = false;
        service.withdraw();
        log.host(Level.SEVERE, logLine);
        transport.record(name(), LifecycleEvent.FAIL, reason);
    }

    /**
     * Opens a new instance with the manifest in force, moves new calls to it, lets calls in flight finish
     * on the old one, then closes the old one. A plugin that failed starts afresh.
     *
     * @throws PluginException {@code reload failed: …} or {@code reload refused: …} when the new instance
     *                         does not open; the old one, if any, keeps serving
     */
    public final void reload() {
        long gen;
        synchronized (this) {
            if (stopped) {
                return; // nothing opens until its start (the transport's reload of a plugin an operator stopped starts it)
            }
            gen = generation;
        }
        M m = manifest;
        long judgedBy = transport.policy().trustGeneration(); // before the judging: a change after it is judged again
        I fresh;
        try {
            fresh = openJudged(m);
        } catch (Awaits a) {
            await(a, gen);
            throw new PluginException(m.name(), a.getMessage(), null);
        } catch (PluginException e) {
            boolean running = current != null;
            // the log says what the asker is told
            String said = e instanceof Refused ? "reload refused: " + e.reason().substring("is refused: ".length()) : "reload failed: " + e.reason();
            log.host(Level.WARNING, said + (running ? "; the running instance keeps serving" : ""));
            startFailed(e, gen); // nothing runs (it crashed and waits to restart, or had failed): as a failed launch
            throw new PluginException(m.name(), said, e);
        }
        synchronized (this) {
            crashes.clear(); // a reload is a fresh start: the crash window begins again
        }
        String why = adopt(fresh, gen, judgedBy);
        if (why != null) {
            throw new PluginException(m.name(), why, null);
        }
    }

    /**
     * Starts a plugin an operator stopped, or one that failed (after its crashes, or refused), afresh;
     * nothing when it runs or is starting.
     *
     * @throws PluginException when it opens in the foreground and does not
     */
    public final void start() {
        synchronized (this) {
            if (!stopped && state != PluginState.FAILED) {
                return;
            }
            stopped = false;
            crashes.clear();
            problem = null;
            refused = false;
            awaiting = false;
            state = PluginState.STARTING;
        }
        log.host(Level.INFO, "started by an operator");
        if (opensInForeground()) {
            reload();
        } else {
            background(this::launch);
        }
    }

    /** What it waits for may have come: it opens again, as a reload (nothing when it was stopped; what fails says so itself). */
    public final void retry() {
        synchronized (this) {
            if (stopped) {
                return;
            }
        }
        try {
            reload();
        } catch (PluginException e) {
            // logged and listed by reload
        }
    }

    /**
     * A policy changed: a running plugin the policies refuse now is stopped at once (its service
     * withdrawn, its instance closed: a tightened policy bites now, not at the next start), with one line
     * in the log naming the rule; one they refused before and accept now is started again.
     *
     * @param rule the capability policy's rule for its contract, as the configuration reads it, for the log
     */
    final void policyChanged(String rule) {
        Slot<M, I> old = null;
        boolean relaunch = false;
        synchronized (this) {
            if (stopped) {
                return;
            }
            String refusal = transport.refusal(manifest.file(), capabilities);
            if (refusal != null && current != null) {
                old = current;
                String label = old.instance.label();
                fail(worded(refusal), refusal.startsWith(ManifestPolicy.TRUST_REFUSAL)
                        ? "stopped" + label + " by the changed trust policy: " + refusal.substring(ManifestPolicy.TRUST_REFUSAL.length())
                        : "stopped" + label + " by the changed capability policy, rule '" + rule + "': it " + refusal, true);
            } else if (refusal == null && state == PluginState.FAILED && refused) {
                state = PluginState.STARTING;
                problem = null;
                refused = false;
                relaunch = true;
            }
        }
        if (old != null) {
            closeNow(old);
        }
        if (relaunch) {
            log.host(Level.INFO, "the policies accept it now: starting");
            if (opensInForeground()) {
                try {
                    reload();
                } catch (PluginException e) {
                    // logged by reload, and listed
                }
            } else {
                background(this::launch);
            }
        }
    }

    /** Withdraws the service now and closes the instance, until the plugin is started again. */
    public final void stop() {
        Slot<M, I> old;
        I r;
        synchronized (this) {
            stopped = true;
            generation++;
            if (restart != null) {
                restart.cancel(false);
                restart = null;
            }
            old = current;
            current = null;
            r = ready;
            ready = null;
            state = PluginState.STOPPED; // before the withdrawal: whoever hears of it asks why
            problem = null;
            awaiting = false;
            service.withdraw();
        }
        if (old != null) {
            closeNow(old);
        }
        if (r != null) {
            closeLater(r);
        }
        stopped();
    }

    private void retire(Slot<M, I> s) {
        if (s.retire()) {
            closeLater(s.instance);
        }
    }

    /** Closes an instance whatever is in flight on it (calls there fail as it goes). */
    private void closeNow(Slot<M, I> s) {
        if (s.retire() | s.close()) { // both asked: the first to close it says so
            closeLater(s.instance);
        }
    }

    private void closeLater(I instance) {
        Runnable close = () -> {
            try {
                instance.close();
            } catch (RuntimeException e) {
                log.host(Level.WARNING, "did not close cleanly: " + e);
            }
        };
        try {
            transport.work().execute(close);
        } catch (RejectedExecutionException stopping) {
            close.run(); // the transport is closing: one that opened meanwhile is closed here, not left running
        }
    }

    // ------------------------------------------------------------------ calls

    private Object invoke(Method method, Object[] args) {
        while (true) {
            Slot<M, I> s = current;
            if (s == null) {
                String p = problem;
                PluginState now = state;
                // in the words the core's facades use for a plugin that is down: "restarting: …" after a crash
                throw new PluginUnavailableException(name(), now == PluginState.STARTING && p != null ? "restarting: " + p
                        : "is " + now + (p == null ? "" : ": " + p));
            }
            if (!s.enter()) {
                Thread.onSpinWait(); // a reload moved calls to the new instance: go there
                continue;
            }
            try {
                M m = s.manifest;
                if (invocable) { // a function named by the caller, its input as the caller gave it
                    String function = Functions.checked(m.name(), (String) args[0], functions(m, s.instance));
                    return callFunction(s.instance, m, function, (String) args[1], m.callTimeoutMs());
                }
                return call(s.instance, m, method, args, m.callTimeoutMs());
            } finally {
                if (s.exit()) {
                    closeLater(s.instance);
                }
            }
        }
    }

    // ------------------------------------------------------------------ what the registry and the shell see

    /** @return the plugin as the registry lists it */
    public final PluginDescriptor descriptor() {
        return service.descriptor(manifest, capabilities, state);
    }

    /** @return why it is not active (failed, refused, waiting, restarting), or null */
    public final PluginProblem problem() {
        String p = problem;
        PluginState s = state;
        return p == null || s == PluginState.ACTIVE || s == PluginState.STOPPED ? null
                : new PluginProblem(name(), manifest.file().getFileName().toString(), (s == PluginState.FAILED ? "" : "restarting: ") + p);
    }

    /** @return the transport's facts for {@code plugin:info}, then the problem (the transport adds the call timeout) */
    final Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>(details(manifest, instance()));
        String p = problem;
        if (p != null) {
            d.put("problem", p);
        }
        return d;
    }
}
