package io.atrium.transport.script.plugin;

import com.google.gson.JsonElement;
import io.atrium.api.Capability;
import io.atrium.api.PluginException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.manifest.ScriptManifest;
import io.atrium.transport.support.kit.KitInstance;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One version of a script plugin, loaded: its program and the lock its calls take turns on (a script's
 * globals are its own language's, one call at a time, as in a browser or Node). A call waits for the
 * lock within its timeout, then runs under its budget.
 */
final class LoadedScript implements KitInstance {
    final ScriptManifest manifest;
    final Program program;
    final String engine;
    final long loadMillis;
    private final ReentrantLock turn = new ReentrantLock(true);
    /** Told when a call broke the program (the server's memory or stack ran out inside it): it is loaded afresh. */
    private final Consumer<String> broken;
    private volatile boolean closed;

    LoadedScript(ScriptManifest manifest, Program program, String engine, long loadMillis, Consumer<String> broken) {
        this.manifest = manifest;
        this.program = program;
        this.engine = engine;
        this.loadMillis = loadMillis;
        this.broken = broken;
    }

    /**
     * @param function  the script's function
     * @param args      its arguments: String, Boolean, Number, null or JSON
     * @param timeoutMs its CPU budget, and how long it may wait for the calls before it
     * @return what it returned, as JSON
     */
    JsonElement call(String function, Object[] args, long timeoutMs) {
        String name = manifest.name();
        if (turn.isHeldByCurrentThread()) {
            // a plugin it called (host.call) calls it back: its own call is still running, on its globals and its budget
            throw new PluginException(name, function + " was called back while its own call runs (through a plugin it called with "
                    + "host.call): a script runs one call at a time", null);
        }
        try {
            // the free turn taken at once (tryLock() barges even on a fair lock), a busy one waited for in order
            if (!turn.tryLock() && !turn.tryLock(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new PluginTimeoutException(name, function + " waited " + timeoutMs + " ms for the calls before it to finish "
                        + "(a script runs one call at a time)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException(name, function + " was interrupted while it waited for its turn", e);
        }
        try {
            if (closed) {
                throw new io.atrium.api.PluginUnavailableException(name, "was stopped");
            }
            Budget b = program.budget();
            b.start(timeoutMs, manifest.limits().maxAllocationMb() << 20);
            return program.call(function, args, b);
        } catch (ScriptError e) {
            throw new PluginException(name, e.getMessage(), null);
        } catch (Budget.Exceeded e) {
            String why = function + " " + e.getMessage();
            throw e.memory() ? new PluginException(name, why, null) : new PluginTimeoutException(name, why);
        } catch (OutOfMemoryError e) {
            String why = function + " ran the server out of memory (" + e.getMessage() + "); the script is loaded afresh";
            broken.accept(why);
            throw new PluginException(name, why, null);
        } finally {
            turn.unlock();
        }
    }

    @Override
    public List<Capability> capabilities() {
        return manifest.capabilities();
    }

    /** Stops a call running now at its next tick; the next ones are refused. */
    @Override
    public void close() {
        closed = true;
        program.budget().cancel("was stopped while it ran: the plugin stopped or was replaced");
    }
}
