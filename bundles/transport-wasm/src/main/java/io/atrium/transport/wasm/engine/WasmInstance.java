package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import io.atrium.transport.wasm.abi.ExtismKernel;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;

/**
 * One instance of a module with its Extism kernel, running one call at a time on the caller's thread.
 * Its deadline is watched by {@link Deadlines}: past it, the caller's thread is interrupted, which
 * Chicory checks at every function entry and loop, and the instance is discarded.
 */
final class WasmInstance {
    private static final VarHandle DEADLINE;

    static {
        try {
            DEADLINE = MethodHandles.lookup().findVarHandle(WasmInstance.class, "deadline", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** No call is running. */
    static final long IDLE = 0;
    /** The watchdog took the call's deadline and is interrupting, or has interrupted, its thread. */
    static final long EXPIRED = -1;

    final Instance instance;
    final ExtismKernel kernel;
    final long memoryBytes;
    /** Its WASI, when the manifest asks for it: closed, with the read-only grants' copies, when the instance goes. */
    final Sandbox.Wasi wasi;
    private final Map<String, ExportFunction> exports = new HashMap<>();
    private volatile long deadline = IDLE;
    volatile Thread runner;
    volatile boolean interruptDelivered;

    WasmInstance(Instance instance, ExtismKernel kernel, long memoryBytes, Sandbox.Wasi wasi) {
        this.wasi = wasi;
        this.instance = instance;
        this.kernel = kernel;
        this.memoryBytes = memoryBytes;
    }

    ExportFunction export(String name) {
        return exports.computeIfAbsent(name, instance::export);
    }

    /** The caller starts a call that must end by {@code deadlineNanos} (System.nanoTime). */
    void arm(long deadlineNanos) {
        interruptDelivered = false;
        runner = Thread.currentThread();
        deadline = deadlineNanos == IDLE || deadlineNanos == EXPIRED ? deadlineNanos + 1 : deadlineNanos;
    }

    /**
     * The caller's call ended. When the watchdog had already taken the deadline, waits for its interrupt
     * and clears the thread's flag, so it does not leak into the caller's next blocking call.
     *
     * @return true when the call ran past its deadline
     */
    boolean disarm() {
        long d = deadline;
        if (d != EXPIRED && DEADLINE.compareAndSet(this, d, IDLE)) {
            return false;
        }
        while (!interruptDelivered) {
            Thread.onSpinWait();
        }
        Thread.interrupted();
        deadline = IDLE;
        return true;
    }

    /** Called by the watchdog: interrupts the call when it is past its deadline. */
    void expireIfLate(long now) {
        long d = deadline;
        if (d != IDLE && d != EXPIRED && now - d > 0 && DEADLINE.compareAndSet(this, d, EXPIRED)) {
            Thread t = runner;
            if (t != null) {
                t.interrupt();
            }
            interruptDelivered = true;
        }
    }
}
