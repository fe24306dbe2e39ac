package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.wasm.ChicoryException;
import io.atrium.api.PluginCrashedException;
import io.atrium.api.PluginException;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.transport.wasm.abi.ExtismKernel;
import io.atrium.transport.wasm.abi.HttpGrant;
import io.atrium.transport.support.PluginLog;
import io.atrium.transport.wasm.abi.Variables;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The instances of one loaded module: up to {@code instances} calls run at once, each on an instance of
 * its own, on the caller's thread; further calls wait their turn, first come first served. By default
 * that is one instance, so a plugin's calls run one at a time and each sees what the last left in
 * memory and variables, as in Extism. An instance that trapped, ran out of stack or past its deadline
 * is discarded, never reused: its state may be anything.
 */
final class InstancePool implements io.atrium.transport.support.kit.KitInstance {
    private final String plugin;
    private final WasmManifest manifest;
    final LoadedModule module;
    /** The module's variables, kept by the plugin across its reloads. */
    final Variables vars;
    private final PluginLog log;
    private final MemoryBudget budget;
    private final Deadlines deadlines;
    private final ArrayBlockingQueue<WasmInstance> idle;
    /** One permit per instance a call may hold; fair, so waiting calls run in the order they came. */
    private final java.util.concurrent.Semaphore slots;
    private final AtomicInteger live = new AtomicInteger();
    /** The plugin's own threads, with the stack size its manifest sets; null: calls run on the caller's thread. */
    private final java.util.concurrent.ThreadPoolExecutor threads;
    private volatile boolean retired;

    InstancePool(WasmManifest manifest, LoadedModule module, List<String> exports, Variables vars, PluginLog log, MemoryBudget budget,
                 Deadlines deadlines) {
        this.log = log;
        this.plugin = manifest.name();
        this.manifest = manifest;
        this.module = module;
        this.vars = vars;
        this.budget = budget;
        this.deadlines = deadlines;
        this.idle = new ArrayBlockingQueue<>(manifest.instances());
        this.slots = new java.util.concurrent.Semaphore(manifest.instances(), true);
        long stack = manifest.limits().stackKb() * 1024;
        if (stack > 0) {
            AtomicInteger n = new AtomicInteger();
            threads = new java.util.concurrent.ThreadPoolExecutor(manifest.instances(), manifest.instances(), 30, TimeUnit.SECONDS,
                    new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(null, r, "atrium-wasm-" + plugin + "-" + n.incrementAndGet(), stack);
                        t.setDaemon(true);
                        return t;
                    });
            threads.allowCoreThreadTimeOut(true);
        } else {
            threads = null;
        }
        WasmInstance first;
        try {
            first = create(); // fails the deployment now if not even one instance can be made
        } catch (PluginUnavailableException e) {
            throw new IllegalArgumentException(manifest.module().getFileName() + " " + e.reason());
        }
        if (first == null) {
            throw new IllegalArgumentException("cannot have an instance: its " + (module.maxBytes() >> 20)
                    + " MiB of memory do not fit in what is left of the wasm memory budget of " + budget.megabytes() + " MiB");
        }
        try {
            module.checkExports(manifest.module().getFileName().toString(), first.instance, exports);
        } catch (IllegalArgumentException e) {
            discard(first);
            throw e;
        }
        idle.add(first);
    }

    /**
     * Runs one export with the input, and returns what it set as its output (null when it set none).
     *
     * @throws PluginException naming the plugin: timed out, trapped, refused or failed
     */
    byte[] call(String export, byte[] input, long timeoutMs) {
        if (threads == null) {
            return run(export, input, timeoutMs);
        }
        java.util.concurrent.Future<byte[]> f;
        try {
            f = threads.submit(() -> run(export, input, timeoutMs));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new PluginUnavailableException(plugin, "was replaced while " + export + " was being called");
        }
        try {
            return f.get(timeoutMs * 2 + 1000, TimeUnit.MILLISECONDS); // its own deadline stops it first
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new PluginCrashedException(plugin, export + " failed: " + e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            f.cancel(true);
            throw late(export, timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginUnavailableException(plugin, export + " was interrupted");
        }
    }

    /** Runs the call on this thread: the caller's, or one of the plugin's own threads. */
    private byte[] run(String export, byte[] input, long timeoutMs) {
        WasmInstance wi = borrow(timeoutMs);
        boolean healthy = false;
        deadlines.started();
        wi.arm(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        try {
            wi.kernel.begin(input);
            long[] results = wi.export(export).apply();
            long status = results == null || results.length == 0 ? 0 : (int) results[0]; // an export may return nothing
            if (wi.disarm()) {
                throw late(export, timeoutMs);
            }
            healthy = true;
            String error = wi.kernel.error();
            if (error != null || status != 0) {
                byte[] out = wi.kernel.output();
                String why = error != null ? error : out != null ? new String(out, StandardCharsets.UTF_8) : "no message";
                throw new PluginException(plugin, export + " failed with status " + status + ": " + why, null);
            }
            return wi.kernel.output();
        } catch (ChicoryInterruptedException e) {
            wi.disarm();
            throw late(export, timeoutMs);
        } catch (ExtismKernel.AbiException e) {
            if (wi.disarm()) {
                throw late(export, timeoutMs);
            }
            throw new PluginException(plugin, export + " failed: " + e.getMessage() + "; the instance was discarded", null);
        } catch (ChicoryException | StackOverflowError e) {
            wi.disarm();
            String why = e instanceof StackOverflowError ? "call stack exhausted" : e.getMessage();
            throw new PluginCrashedException(plugin, export + " trapped: " + why + "; the instance was discarded");
        } finally {
            deadlines.ended();
            if (healthy) {
                giveBack(wi);
            } else {
                discard(wi);
            }
            slots.release();
        }
    }

    private PluginTimeoutException late(String export, long timeoutMs) {
        return new PluginTimeoutException(plugin, export + " ran past its deadline of " + timeoutMs + " ms and was stopped; the instance was discarded");
    }

    /** Waits for a slot (up to the call's timeout), then takes an idle instance or makes one. */
    private WasmInstance borrow(long timeoutMs) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int running = running();
        int waiting = slots.getQueueLength();
        try {
            if (!slots.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new PluginUnavailableException(plugin, "no instance became free within " + timeoutMs + " ms (" + running + " of "
                        + manifest.instances() + " running and " + waiting + " other call(s) waiting when this one began to wait)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginUnavailableException(plugin, "interrupted while waiting for an instance");
        }
        boolean handedOut = false;
        try {
            WasmInstance wi = idle.poll();
            if (wi == null) {
                wi = create();
            }
            if (wi == null) { // the memory budget allows no new one: wait for one of ours to come back
                wi = idle.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            if (wi == null) {
                throw new PluginUnavailableException(plugin, "no instance became free within " + timeoutMs + " ms (" + running
                        + " running; the wasm memory budget of " + budget.megabytes() + " MiB allows no more)");
            }
            handedOut = true;
            return wi;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginUnavailableException(plugin, "interrupted while waiting for an instance");
        } finally {
            if (!handedOut) {
                slots.release();
            }
        }
    }

    /** @return how many calls hold an instance now */
    int running() {
        return manifest.instances() - slots.availablePermits();
    }

    /** @return how many calls wait for an instance now */
    int waiting() {
        return slots.getQueueLength();
    }

    /** @return a new instance, or null when the memory budget or the pool's size does not allow one */
    private WasmInstance create() {
        if (live.incrementAndGet() > manifest.instances() || !budget.reserve(module.maxBytes())) {
            live.decrementAndGet();
            return null;
        }
        try {
            // Extism memory holds at least twice the largest output
            long kernelMax = Math.max(manifest.limits().extismMemoryMb() << 20, manifest.limits().maxOutputBytes() * 2 + (1 << 16));
            HttpGrant http = manifest.allowedHosts().isEmpty() ? null
                    : new HttpGrant(manifest.allowedHosts(), manifest.limits().maxHttpResponseBytes());
            ExtismKernel kernel = new ExtismKernel(log, manifest.config(), vars, kernelMax, manifest.limits().maxOutputBytes(), http);
            java.util.List<com.dylibso.chicory.runtime.HostFunction> functions = new java.util.ArrayList<>(kernel.functions());
            functions.addAll(module.hostFunctions.forInstance(kernel, plugin));
            Sandbox.Wasi wasi = manifest.wasi() ? Sandbox.wasi(manifest, log) : null;
            if (wasi != null) {
                functions.addAll(java.util.List.of(wasi.wasi().toHostFunctions()));
            }
            com.dylibso.chicory.runtime.Instance instance;
            try {
                instance = module.instantiate(functions, manifest.limits().callTimeoutMs(), manifest.limits().stackKb() * 1024);
            } catch (RuntimeException e) {
                if (wasi != null) {
                    wasi.close();
                }
                throw e;
            }
            WasmInstance wi = new WasmInstance(instance, kernel, module.maxBytes(), wasi);
            deadlines.add(wi);
            return wi;
        } catch (RuntimeException e) {
            budget.release(module.maxBytes());
            live.decrementAndGet();
            throw new PluginUnavailableException(plugin, "an instance could not be made: " + e.getMessage());
        }
    }

    /**
     * Back to the pool, unless its memory has grown past half its cap: a module whose allocator never
     * frees (AssemblyScript's stub runtime, a leak) would otherwise trap one day in the middle of a call.
     * Replacing it costs one instantiation.
     */
    private void giveBack(WasmInstance wi) {
        com.dylibso.chicory.runtime.Memory memory = wi.instance.memory();
        boolean bloated = memory != null && memory.pages() > Math.max(module.initialPages, module.maxPages / 2);
        if (retired || bloated || !idle.offer(wi)) {
            discard(wi);
        }
    }

    private void discard(WasmInstance wi) {
        if (wi.wasi != null) {
            wi.wasi.close();
        }
        deadlines.remove(wi);
        budget.release(wi.memoryBytes);
        live.decrementAndGet();
    }

    /** No new calls come here: idle instances go now, busy ones when their call ends. */
    void retire() {
        retired = true;
        if (threads != null) {
            threads.shutdown(); // calls already queued or running finish
        }
        for (WasmInstance wi; (wi = idle.poll()) != null; ) {
            discard(wi);
        }
    }

    /** What its manifest declares. */
    @Override
    public List<io.atrium.api.Capability> capabilities() {
        return manifest.capabilities();
    }

    /** Retired: the kit closes it once no call is in flight on it, or at a stop. */
    @Override
    public void close() {
        retire();
    }

    /** As the log names it: the module, how it runs, and its memory cap. */
    @Override
    public String label() {
        return " (" + manifest.module().getFileName() + ", " + module.engine + ", loaded in " + module.loadMillis + " ms, memory cap "
                + module.maxPages + " pages)";
    }

    int live() {
        return live.get();
    }
}
