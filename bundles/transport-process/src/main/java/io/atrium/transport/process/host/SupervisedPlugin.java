package io.atrium.transport.process.host;

import io.atrium.transport.support.launch.Launcher;

import com.google.gson.JsonElement;
import io.atrium.api.PluginTimeoutException;
import io.atrium.transport.process.manifest.PluginManifest;
import io.atrium.transport.process.protocol.Messages;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.kit.CallResults;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.kit.Restart;
import io.atrium.transport.support.kit.Supervisor;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One process plugin on the kit's {@link Supervisor}: what it adds is how an instance opens (a process
 * launched and its handshake read, or the exec runner), how a call is sent, and the health checks that
 * kill a plugin that stops answering. Its instances open in the background; a dead one is restarted by
 * the manifest's {@code restart} policy.
 */
public final class SupervisedPlugin extends Supervisor<PluginManifest, Invoker> implements PluginProcess.Owner {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "process";
    /** How long a health check waits for the plugin's answer. */
    static final long PING_TIMEOUT_MS = 2_000;

    private final ScheduledExecutorService timers;
    private final Launcher launcher;
    /** Guarded by this. */
    private ScheduledFuture<?> health;

    public SupervisedPlugin(ManifestTransport<PluginManifest, SupervisedPlugin> transport, ScheduledExecutorService timers, Launcher launcher,
                            PluginManifest manifest, Class<?> contract) {
        super(transport, manifest, contract);
        this.launcher = launcher;
        this.timers = timers;
    }

    /** A process with its handshake done, or the exec runner; the kit judges what it declares. */
    @Override
    protected Invoker open(PluginManifest m) {
        if (m.mode() == PluginManifest.Mode.EXEC) {
            return new ExecRunner(launcher, m, log, timers, this::background);
        }
        return PluginProcess.launch(launcher, m, log, this);
    }

    @Override
    protected Restart restart(PluginManifest m) {
        return m.restart();
    }

    @Override
    public void broken(PluginProcess process, String reason) {
        crashed(process, reason);
    }

    @Override
    public JsonElement config() {
        return manifest().config();
    }

    // ------------------------------------------------------------------ calls

    @Override
    protected Object call(Invoker instance, PluginManifest m, Method method, Object[] args, long timeoutMs) {
        return CallResults.read(name(), method.getName(), method, send(instance, method.getName(), JsonCodec.arguments(args), timeoutMs));
    }

    /** A method named by the caller, its input the JSON arguments, its result's JSON the answer. */
    @Override
    protected String callFunction(Invoker instance, PluginManifest m, String function, String input, long timeoutMs) {
        return Messages.GSON.toJson(send(instance, function, Functions.jsonArguments(name(), function, input), timeoutMs));
    }

    private JsonElement send(Invoker instance, String method, String params, long timeoutMs) {
        try {
            return instance.call(method, params, timeoutMs);
        } catch (PluginTimeoutException e) {
            if (instance instanceof PluginProcess p) {
                p.checkHealth(PING_TIMEOUT_MS); // a hung plugin is killed, then restarted
            }
            throw e;
        }
    }

    /** Bounds a write to the running process's stdin (see {@link PluginProcess#checkWrites()}). */
    public void checkWrites() {
        if (instance() instanceof PluginProcess p) {
            p.checkWrites();
        }
    }

    /** A running process is pinged every {@code limits.healthIntervalMs}: one that does not answer is killed, then restarted. */
    @Override
    protected void opened(Invoker instance) {
        PluginManifest m = manifest();
        long every = m.limits().healthIntervalMs();
        synchronized (this) { // the kit's lock: a stop either comes after this, and cancels the timer, or before, and none starts
            if (health != null || every == 0 || m.mode() == PluginManifest.Mode.EXEC || instance() != instance) {
                return; // one runs; none is wanted; or the plugin stopped (an undeploy) since it opened this instance
            }
            health = timers.scheduleWithFixedDelay(() -> {
                if (instance() instanceof PluginProcess p && p.alive()) {
                    // on the work pool: the ping's write may block on a full pipe, and this timer thread also
                    // runs every plugin's restarts and the sweep (checkWrites) that ends such a block
                    background(() -> p.checkHealth(PING_TIMEOUT_MS));
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected synchronized void stopped() {
        if (health != null) {
            health.cancel(false);
            health = null;
        }
    }

    // ------------------------------------------------------------------ what the shell sees

    @Override
    protected Map<String, String> details(PluginManifest m, Invoker instance) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("mode", m.mode().name().toLowerCase(Locale.ROOT));
        d.put("command", String.join(" ", m.command()));
        if (invocable()) {
            d.put("functions", m.functions().isEmpty() ? "any (none declared)" : String.join(", ", m.functions()));
        }
        if (instance instanceof ExecRunner r) {
            d.put("warm", r.warm() + " of " + r.ahead() + " processes spawned ahead");
        }
        if (instance instanceof PluginProcess p) {
            d.put("pid", Long.toString(p.pid()));
            d.put("protocol", Integer.toString(p.handshake().protocol()));
        }
        d.put("restarts", Integer.toString(restarts()));
        d.put("memory cap", m.limits().memoryMb() == 0 ? "none" : m.limits().memoryMb() + " MiB");
        d.put("cpu cap", m.limits().cpuSeconds() == 0 ? "none" : m.limits().cpuSeconds() + " s");
        return d;
    }
}
