package io.atrium.core.deploy;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginState;
import io.atrium.api.PluginProperties;
import io.atrium.spi.PluginProvider;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Starts plugin bundles, and only it does: off the deployer's thread, with a deadline, and with a
 * record that keeps a plugin that kills the server from doing so at every start.
 *
 * <ul>
 * <li>Starts are transient and run on a pool of their own once the framework has reached the plugins'
 *     start level, so neither the framework's start-level change (the ready line) nor the deployer waits
 *     for an activator. A start still running after the deadline ({@value #TIMEOUT_PROPERTY}, 10 s) is
 *     reported as such, and the pool grows by a thread for as long as it runs (for up to 16 such starts at a
 *     time), so it holds up no other. The deadline counts from when a starter takes the start up.</li>
 * <li>Before any start the set of plugins being started is written to the core's data area. A start of
 *     the server that finds that record left behind knows the previous run died while starting them:
 *     each is counted, started alone afterwards (so a second death names the culprit alone), and after
 *     the second such death it is quarantined: not started, until {@code plugin:start} or a new file.</li>
 * <li>In safe mode ({@value #SAFE_PROPERTY}, {@code bin/atrium --safe}) no plugin bundle is started.</li>
 * </ul>
 *
 * It lists bundles whose start is in flight (as starting) and quarantined ones (as failed) in the
 * registry, under their symbolic names, since they have no plugin name before they run.
 */
@Component(service = {PluginStarts.class, PluginProvider.class})
public final class PluginStarts implements PluginProvider, FrameworkListener {
    /** Framework property: how long a plugin's start may take before it is reported as stuck, in ms. */
    public static final String TIMEOUT_PROPERTY = "atrium.start.timeoutMs";
    /** Framework property: "true" starts no plugin bundle. */
    public static final String SAFE_PROPERTY = "atrium.safe";
    /** The server died this many times while starting a plugin: it is not started again. */
    static final int QUARANTINE_AFTER = 2;
    private static final String RECORD = "starting.properties";
    private static final String DEATHS = "deaths.properties";
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");

    /** One start, from the moment it was asked for. */
    private static final class Start {
        final Bundle bundle;
        final CompletableFuture<Throwable> done = new CompletableFuture<>();
        /** When a starter took it up (System.nanoTime), 0 while it waits its turn: its deadline counts from then. */
        volatile long running;
        volatile boolean overdue;
        /** The pool grew a thread for it (at most {@link #MAX_EXTRA_THREADS} starts at a time do). */
        boolean grew;
        volatile boolean submitted;
        /** The deadline's task, cancelled when the start returns (it would hold the bundle until it fires). */
        volatile java.util.concurrent.Future<?> deadline;
        /** The server died once while starting it: it starts alone, when no other start is in flight. */
        boolean alone;

        Start(Bundle bundle) {
            this.bundle = bundle;
        }
    }

    private final BundleContext context;
    private final long timeoutMs;
    private final boolean safe;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService deadlines;
    /** Starts the suspects, one at a time, each alone. */
    private final java.util.concurrent.ExecutorService alone;
    private final Map<Long, Start> inFlight = new ConcurrentHashMap<>();
    /** Starts asked for before the framework reached the plugins' start level. */
    private final List<Start> waiting = new ArrayList<>();
    /** Symbolic name -> deaths of the server while it was being started; persisted. */
    private final Map<String, Integer> deaths = new LinkedHashMap<>();
    private boolean levelReached;
    /** Starts handed to the pool and not yet returned; guarded by this. */
    private int submittedInFlight;
    /** Threads the pool grew for overdue starts; guarded by this. */
    private int extraThreads;
    /** Stuck starts beyond this many hold up the others again: a careless deadline (1 ms) must not spawn a thread per plugin. */
    static final int MAX_EXTRA_THREADS = 16;

    @Activate
    public PluginStarts(BundleContext context) {
        this.context = context;
        this.timeoutMs = Math.max(100, StateFiles.longProperty(context, TIMEOUT_PROPERTY, 10_000));
        this.safe = Boolean.parseBoolean(context.getProperty(SAFE_PROPERTY));
        // One thread, and one more for each start past its deadline: starts contend in SCR and the framework,
        // and two starters on two cores were slower than one for a full folder and a bulk drop alike
        // (docs/benchmarks.md), the other core serving the deployer and the rest of the server.
        int threads = 1;
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "atrium-plugin-starter");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.ScheduledThreadPoolExecutor timer = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "atrium-start-deadlines");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true); // a start that returned leaves nothing queued behind
        this.deadlines = timer;
        this.alone = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "atrium-start-alone");
            t.setDaemon(true);
            return t;
        });
        countDeathsOfTheLastRun();
        context.addFrameworkListener(this);
        synchronized (this) {
            levelReached = levelReached();
        }
        if (safe) {
            LOG.warning("safe mode: no plugin bundle is started (plugin:deploys lists them; plugin:start NAME starts one)");
        }
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(this);
        deadlines.shutdownNow();
        alone.shutdownNow();
        pool.shutdownNow();
        synchronized (this) {
            waiting.clear();
        }
        StateFiles.delete(context, RECORD); // a clean stop: nothing was being started when the server died
    }

    // ---------------------------------------------------------------- what the deployer asks

    /** @return how long a start may take before it is reported as stuck, in ms */
    public long timeoutMs() {
        return timeoutMs;
    }

    /** @return whether no plugin bundle may be started (safe mode) */
    public boolean safe() {
        return safe;
    }

    /** @return why a plugin bundle is not started, when it is quarantined; else null */
    public synchronized String quarantine(String bsn) {
        Integer n = deaths.get(bsn);
        return n == null || n < QUARANTINE_AFTER ? null
                : "quarantined: the server died " + n + " times while starting it; plugin:start " + bsn + " or a new file releases it";
    }

    /** A new file for the bundle: whatever it did before, it gets a fresh start. */
    public synchronized void release(String bsn) {
        if (deaths.remove(bsn) != null) {
            storeDeaths();
        }
    }

    /**
     * Starts the bundles (transiently, with their activation policy), at once or as soon as the framework
     * reaches the plugins' start level.
     *
     * @return per bundle, what its start threw (null when it returned)
     */
    public Map<Bundle, CompletableFuture<Throwable>> start(Collection<Bundle> bundles) {
        Map<Bundle, CompletableFuture<Throwable>> out = new LinkedHashMap<>();
        List<Start> now = new ArrayList<>();
        synchronized (this) {
            for (Bundle b : bundles) {
                Start before = inFlight.get(b.getBundleId());
                if (before != null && (before.running == 0 || b.getState() == Bundle.STARTING || b.getState() == Bundle.ACTIVE)) {
                    out.put(b, before.done); // not taken up yet, or starting it now: the same outcome
                    continue;
                }
                // None, or one taken up whose start returned before the caller stopped the bundle (a reload right
                // after an update's start, whose end had not yet run): that one's outcome would leave it stopped.
                Start s = new Start(b);
                inFlight.put(b.getBundleId(), s);
                out.put(b, s.done);
                s.alone = deaths.getOrDefault(b.getSymbolicName(), 0) > 0;
                if (s.alone) {
                    alone.execute(() -> startAlone(s));
                } else {
                    (levelReached ? now : waiting).add(s);
                }
            }
            if (!now.isEmpty()) {
                writeRecord(now);
            }
        }
        now.forEach(this::submit);
        return out;
    }

    /** @return how a bundle's start stands, when one is in flight: for plugin:deploys */
    public String progress(long bundleId) {
        Start s = inFlight.get(bundleId);
        if (s == null) {
            return null;
        }
        if (!s.submitted) {
            return s.alone ? "waits to be started alone: the server died while starting it" : "waits for the plugins' start level";
        }
        long since = s.running;
        if (since == 0) {
            return "waits for its turn to start";
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
        if (!s.overdue) {
            return "starting for " + seconds + " s";
        }
        return s.bundle.getState() == Bundle.STARTING
                ? "its activator has not returned after " + seconds + " s"
                : "its components are still activating after " + seconds + " s";
    }

    /** @return whether a start of the bundle is in flight (an update or uninstall waits for it: the framework would) */
    public boolean starting(long bundleId) {
        return inFlight.containsKey(bundleId);
    }

    // ---------------------------------------------------------------- the starts

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() != FrameworkEvent.STARTED && event.getType() != FrameworkEvent.STARTLEVEL_CHANGED) {
            return;
        }
        List<Start> now;
        synchronized (this) {
            if (levelReached || !levelReached()) {
                return;
            }
            levelReached = true;
            now = new ArrayList<>(waiting);
            waiting.clear();
            if (!now.isEmpty()) {
                writeRecord(now);
            }
            notifyAll();
        }
        now.forEach(this::submit);
    }

    /** On the one thread of suspects: waits until nothing else is being started, then starts this one and waits for it. */
    private void startAlone(Start s) {
        try {
            synchronized (this) {
                while (!levelReached || submittedInFlight > 0) {
                    wait(100);
                }
                writeRecord(List.of(s));
            }
            submit(s);
            s.done.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish(s, new IllegalStateException("the server is stopping"));
        }
    }

    private boolean levelReached() {
        return context.getBundle(0).adapt(FrameworkStartLevel.class).getStartLevel() >= FolderDeployer.PLUGIN_START_LEVEL;
    }

    private void submit(Start s) {
        s.submitted = true;
        synchronized (this) {
            submittedInFlight++;
        }
        try {
            pool.execute(() -> run(s));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            finish(s, new IllegalStateException("the server is stopping"));
        }
    }

    private void run(Start s) {
        s.running = System.nanoTime();
        try {
            s.deadline = deadlines.schedule(() -> overdue(s), timeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the server is stopping: no deadline to keep
        }
        Throwable failure = null;
        try {
            s.bundle.start(Bundle.START_TRANSIENT | Bundle.START_ACTIVATION_POLICY);
        } catch (Throwable t) { // an activator may throw anything: it is the plugin's failure, never the starter's
            failure = t;
        }
        finish(s, failure);
    }

    private void finish(Start s, Throwable failure) {
        java.util.concurrent.Future<?> deadline = s.deadline;
        if (deadline != null) {
            deadline.cancel(false);
        }
        boolean wasOverdue;
        synchronized (this) {
            inFlight.remove(s.bundle.getBundleId(), s);
            if (s.submitted) {
                submittedInFlight--;
            }
            wasOverdue = s.overdue;
            if (s.grew) {
                extraThreads--;
                pool.setCorePoolSize(pool.getCorePoolSize() - 1);
                pool.setMaximumPoolSize(pool.getMaximumPoolSize() - 1);
            }
            if (deaths.remove(s.bundle.getSymbolicName()) != null) {
                storeDeaths(); // it started, and the server lives: it was not what killed it
            }
            if (submittedInFlight == 0) {
                StateFiles.delete(context, RECORD);
            }
            notifyAll(); // a suspect may be waiting for the others to be done
        }
        if (wasOverdue) {
            LOG.info(io.atrium.transport.support.Escape.oneLine("plugin bundle " + s.bundle.getSymbolicName() + " [" + s.bundle.getBundleId()
                    + "] finished starting after " + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - s.running) + " s"));
        }
        s.done.complete(failure);
    }

    /** Past the deadline: said once, and the pool gets a thread more, so this start holds up no other. */
    private void overdue(Start s) {
        synchronized (this) {
            if (inFlight.get(s.bundle.getBundleId()) != s) {
                return;
            }
            s.overdue = true;
            if (extraThreads < MAX_EXTRA_THREADS) {
                s.grew = true;
                extraThreads++;
                pool.setMaximumPoolSize(pool.getMaximumPoolSize() + 1);
                pool.setCorePoolSize(pool.getCorePoolSize() + 1);
            }
        }
        LOG.warning(io.atrium.transport.support.Escape.oneLine("plugin bundle " + s.bundle.getSymbolicName() + " [" + s.bundle.getBundleId()
                + "] is still starting after " + timeoutMs + " ms (" + progress(s.bundle.getBundleId()) + "); other plugins go on"));
    }

    // ---------------------------------------------------------------- the record of starts

    private void countDeathsOfTheLastRun() {
        Properties known = StateFiles.load(context, DEATHS);
        known.forEach((k, v) -> {
            try {
                deaths.put(k.toString(), Integer.parseInt(v.toString()));
            } catch (NumberFormatException ignored) {
                // a torn line: forgotten
            }
        });
        Properties record = StateFiles.load(context, RECORD);
        if (record.isEmpty()) {
            return;
        }
        for (String bsn : record.stringPropertyNames()) {
            int n = deaths.merge(bsn, 1, Integer::sum);
            LOG.warning(io.atrium.transport.support.Escape.oneLine("the server died while starting plugin bundle " + bsn + " (" + n
                    + (n == 1 ? " time); it is started alone this time" : " times); it is quarantined: not started until plugin:start "
                    + bsn + " or a new file")));
        }
        storeDeaths();
        StateFiles.delete(context, RECORD);
    }

    /** The bundles being started, and those about to be, written before their starts begin. Holds the monitor. */
    private void writeRecord(Collection<Start> about) {
        Properties p = new Properties();
        for (Start s : inFlight.values()) {
            if (s.submitted || about.contains(s)) {
                p.setProperty(String.valueOf(s.bundle.getSymbolicName()), Long.toString(s.bundle.getBundleId()));
            }
        }
        StateFiles.store(context, RECORD, p);
    }

    private void storeDeaths() {
        Properties p = new Properties();
        deaths.forEach((k, v) -> p.setProperty(k, v.toString()));
        if (p.isEmpty()) {
            StateFiles.delete(context, DEATHS);
        } else {
            StateFiles.store(context, DEATHS, p);
        }
    }

    // ---------------------------------------------------------------- in the registry

    private List<Bundle> quarantined() {
        List<Bundle> out = new ArrayList<>();
        synchronized (this) {
            if (deaths.isEmpty()) {
                return out;
            }
        }
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName() != null && quarantine(b.getSymbolicName()) != null && b.getState() != Bundle.ACTIVE) {
                out.add(b);
            }
        }
        return out;
    }

    /** In safe mode: the plugin bundles that were not started, so that plugin:start can start one. */
    private List<Bundle> heldBySafeMode() {
        List<Bundle> out = new ArrayList<>();
        if (!safe) {
            return out;
        }
        for (Bundle b : context.getBundles()) {
            if (FolderDeployer.isPluginLocation(b.getLocation()) && b.getState() == Bundle.RESOLVED
                    && b.getHeaders("").get(org.osgi.framework.Constants.FRAGMENT_HOST) == null && !inFlight.containsKey(b.getBundleId())) {
                out.add(b);
            }
        }
        return out;
    }

    private static PluginDescriptor describe(Bundle b, PluginState state) {
        return new PluginDescriptor(b.getSymbolicName(), b.getVersion().toString(), "-", PluginProperties.IN_PROCESS, List.of(), state,
                b.getBundleId(), b.getSymbolicName());
    }

    @Override
    public List<PluginDescriptor> plugins() {
        List<PluginDescriptor> out = new ArrayList<>();
        for (Start s : inFlight.values()) {
            if (s.bundle.getSymbolicName() != null) {
                out.add(describe(s.bundle, PluginState.STARTING));
            }
        }
        for (Bundle b : quarantined()) {
            out.add(describe(b, PluginState.FAILED));
        }
        for (Bundle b : heldBySafeMode()) {
            if (quarantine(b.getSymbolicName()) == null) {
                out.add(describe(b, PluginState.STOPPED));
            }
        }
        return out;
    }

    @Override
    public List<PluginProblem> problems() {
        List<PluginProblem> out = new ArrayList<>();
        for (Bundle b : quarantined()) {
            out.add(new PluginProblem(b.getSymbolicName(), b.getSymbolicName(), quarantine(b.getSymbolicName())));
        }
        for (Start s : inFlight.values()) {
            if (s.overdue) {
                out.add(new PluginProblem(s.bundle.getSymbolicName(), s.bundle.getSymbolicName(), progress(s.bundle.getBundleId())));
            }
        }
        return out;
    }

    @Override
    public Map<String, String> details(String name) {
        String q = quarantine(name);
        if (q != null) {
            return Map.of("quarantine", q);
        }
        return heldBySafeMode().stream().anyMatch(b -> name.equals(b.getSymbolicName()))
                ? Map.of("stopped", "safe mode: no plugin is started until plugin:start NAME") : Map.of();
    }

    @Override
    public boolean reload(String name) {
        return start(name);
    }

    /** {@code plugin:start BSN} of a quarantined bundle releases it and starts it. */
    @Override
    public boolean start(String name) {
        Bundle bundle = null;
        for (Bundle b : quarantined()) {
            if (name.equals(b.getSymbolicName())) {
                bundle = b;
                release(name);
                LOG.info(io.atrium.transport.support.Escape.oneLine("plugin bundle " + name + " released from quarantine by plugin:start"));
            }
        }
        for (Bundle b : heldBySafeMode()) {
            if (bundle == null && name.equals(b.getSymbolicName())) {
                bundle = b;
            }
        }
        if (bundle == null) {
            return false;
        }
        Throwable failure = start(List.of(bundle)).get(bundle).orTimeout(timeoutMs, TimeUnit.MILLISECONDS).exceptionally(t -> null).join();
        if (failure != null) {
            throw new PluginException(name, "failed to start: " + failure.getMessage(), failure);
        }
        return true;
    }
}
