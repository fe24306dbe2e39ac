package io.atrium.transport.wasm.engine;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import io.atrium.transport.wasm.abi.ExtismKernel;
import io.atrium.transport.wasm.abi.HostFunctions;
import io.atrium.transport.wasm.manifest.WasmManifest;
import java.util.List;
import java.util.function.Function;

/**
 * A module checked, parsed and compiled once, from which instances are made cheaply. Loading refuses,
 * in one line, what could not run: not a module, a truncated one, a pinned digest that differs,
 * imports Atrium does not provide (all of them named), a memory that cannot fit the cap. A module
 * that imports nothing is fine: Extism runs plain exports too. The pool's first instance then
 * checks the exports.
 */
public final class LoadedModule {
    /** Extism's export signature: no parameters, an i32 status (0 for success). */
    static final FunctionType EXTISM_EXPORT = FunctionType.of(List.of(), List.of(ValType.I32));
    /** Also an Extism function, as Extism's hosts accept it: no parameters, no result (always a success). */
    static final FunctionType PLAIN_EXPORT = FunctionType.of(List.of(), List.of());
    private static final int PAGE = 65_536;
    /** WASI preview 1's import module, provided to manifests that ask for it. */
    static final String WASI = "wasi_snapshot_preview1";

    final WasmModule module;
    final String digest;
    final Function<Instance, Machine> machine;
    final int initialPages;
    final int maxPages;
    final long loadMillis;
    final String engine;
    final boolean hasMemory;
    final boolean hasInitialize;
    /** Its imports of other bundles' host functions, bound to the services providing them when it loaded. */
    final HostFunctions.Bound hostFunctions;

    private LoadedModule(WasmModule module, String digest, Function<Instance, Machine> machine, int initialPages, int maxPages,
                         long loadMillis, String engine, HostFunctions.Bound hostFunctions) {
        this.hostFunctions = hostFunctions;
        this.module = module;
        this.digest = digest;
        this.machine = machine;
        this.initialPages = initialPages;
        this.maxPages = maxPages;
        this.loadMillis = loadMillis;
        this.engine = engine;
        this.hasMemory = module.memorySection().map(ms -> ms.memoryCount() > 0).orElse(false);
        boolean init = false;
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            init |= module.exportSection().getExport(i).name().equals("_initialize");
        }
        this.hasInitialize = init;
        this.functions = functions(module);
    }

    /**
     * What a plugin with no contract may call: its exports of an Extism function's type named as functions are,
     * less WASI's entry points and the toolchains' own ({@code __}); in the module's order, a set: every call looks its name up.
     */
    final java.util.Set<String> functions;

    private static java.util.Set<String> functions(WasmModule module) {
        List<FunctionType> imported = new java.util.ArrayList<>();
        for (int i = 0; i < module.importSection().importCount(); i++) {
            if (module.importSection().getImport(i) instanceof FunctionImport f) {
                imported.add(module.typeSection().getType(f.typeIndex()));
            }
        }
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            var export = module.exportSection().getExport(i);
            String name = export.name();
            if (export.exportType() != ExternalType.FUNCTION || WasmManifest.notAFunction(name)
                    || !io.atrium.transport.support.kit.ManifestBasics.isFunctionName(name)) {
                continue;
            }
            int index = export.index();
            FunctionType type = index < imported.size() ? imported.get(index)
                    : module.functionSection().getFunctionType(index - imported.size(), module.typeSection());
            if (type.equals(EXTISM_EXPORT) || type.equals(PLAIN_EXPORT)) {
                out.add(name);
            }
        }
        return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(out));
    }

    /**
     * @param m       the manifest
     * @param bytes   the module's bytes: those hashed against the pin are those compiled
     * @param cache   where compiled modules are kept, by digest, or null
     * @param hostFunctions what its host function imports are bound to
     * @throws IllegalArgumentException naming what is wrong with the module
     * @throws HostFunctions.Missing when it imports host functions no service provides
     */
    public static LoadedModule load(WasmManifest m, byte[] bytes, CompiledCache cache, HostFunctions hostFunctions) {
        long start = System.nanoTime();
        String file = m.module().getFileName().toString();
        if (bytes.length < 8 || bytes[0] != 0 || bytes[1] != 'a' || bytes[2] != 's' || bytes[3] != 'm') {
            throw new IllegalArgumentException(file + " is not a WebAssembly module (it does not start with \\0asm)");
        }
        String digest = io.atrium.transport.support.Sha256.of(bytes);
        if (m.sha256() != null && !m.sha256().equals(digest)) {
            throw new IllegalArgumentException(io.atrium.transport.support.Sha256.mismatch(file, digest, m.sha256()));
        }
        WasmModule module;
        try {
            module = Parser.parse(bytes);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(file + " is not a valid module: " + e.getMessage());
        }
        List<String> missing = new java.util.ArrayList<>();
        List<HostFunctions.Import> hostImports = new java.util.ArrayList<>();
        boolean wantsWasi = false;
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import imp = module.importSection().getImport(i);
            boolean function = imp.importType() == ExternalType.FUNCTION;
            boolean provided = function && ExtismKernel.MODULE.equals(imp.module()) && ExtismKernel.NAMES.contains(imp.name())
                    || function && m.wasi() && WASI.equals(imp.module());
            if (!provided && function && hostFunctions.isHostNamespace(imp.module())) {
                FunctionType type = module.typeSection().getType(((FunctionImport) imp).typeIndex());
                hostImports.add(new HostFunctions.Import(imp.module(), imp.name(), type));
                provided = true;
            }
            if (!provided) {
                missing.add(imp.importType().name().toLowerCase(java.util.Locale.ROOT) + " " + imp.module() + "." + imp.name());
                wantsWasi |= WASI.equals(imp.module());
            }
        }
        if (!missing.isEmpty()) { // all of them, so one fix is enough
            throw new IllegalArgumentException(file + " imports " + String.join(", ", missing) + ", which"
                    + " Atrium does not provide (it provides Extism's ABI, " + ExtismKernel.MODULE
                    + (wantsWasi ? ", WASI to manifests that say \"wasi\": true" : "") + ", and the host functions bundles provide, in "
                    + io.atrium.spi.HostFunction.USER + ")");
        }
        HostFunctions.Bound bound = hostImports.isEmpty() ? HostFunctions.Bound.NONE : hostFunctions.bind(file, hostImports);
        MemoryLimits declared = module.memorySection().filter(s -> s.memoryCount() > 0).map(s -> s.getMemory(0).limits())
                .orElse(new MemoryLimits(0, 0));
        int policyPages = (int) Math.min(Integer.MAX_VALUE, m.limits().memoryMb() * 1024 * 1024 / PAGE);
        int max = Math.min(declared.maximumPages(), policyPages); // never looser than the module's own maximum
        if (declared.initialPages() > max) {
            throw new IllegalArgumentException(file + " needs " + declared.initialPages() + " pages of memory at the start, over its cap of "
                    + max + " (limits.memoryMb " + m.limits().memoryMb() + ")");
        }
        Function<Instance, Machine> machine = null;
        String engine = "interpreted";
        if (m.engine() == WasmManifest.Engine.COMPILED) {
            try {
                machine = MachineFactoryCompiler.builder(module).withCache(cache == null ? null : cache.of(m, digest)).compile();
                engine = "compiled";
            } catch (RuntimeException e) {
                engine = "interpreted (compiling failed: " + e.getMessage() + ")";
            }
        }
        return new LoadedModule(module, digest, machine, declared.initialPages(), max, (System.nanoTime() - start) / 1_000_000, engine, bound);
    }

    /**
     * Checks each export a contract method maps to on an instance (its first): there, and of Extism's type.
     *
     * @throws IllegalArgumentException naming the export
     */
    void checkExports(String file, Instance instance, List<String> exports) {
        for (String name : exports) {
            FunctionType type;
            try {
                type = instance.exportType(name);
            } catch (RuntimeException e) {
                type = null;
            }
            if (type == null) {
                throw new IllegalArgumentException(file + " exports no function '" + name + "'");
            }
            if (!type.equals(EXTISM_EXPORT) && !type.equals(PLAIN_EXPORT)) {
                throw new IllegalArgumentException(file + "'s export '" + name + "' has the type " + type
                        + "; an Extism function takes no parameters and returns an i32 status or nothing");
            }
        }
    }

    /**
     * Makes an instance with its memory capped, calling into {@code functions}. Making it runs the
     * module's own code (its start function, a WASI reactor's {@code _initialize}), so that runs on a
     * thread of its own under the deadline: past it the thread is interrupted, which Chicory checks at
     * every function entry and loop, and the instance is given up, whether or not the thread stops.
     *
     * @param timeoutMs  how long the module's start code may run
     * @param stackBytes the stack of the thread it runs on; 0: the JVM's default
     * @throws IllegalArgumentException saying why no instance was made
     */
    Instance instantiate(List<HostFunction> functions, long timeoutMs, long stackBytes) {
        java.util.concurrent.CompletableFuture<Instance> made = new java.util.concurrent.CompletableFuture<>();
        Thread starter = new Thread(null, () -> {
            try {
                made.complete(build(functions));
            } catch (Throwable e) {
                made.completeExceptionally(e);
            }
        }, "atrium-wasm-start", stackBytes);
        starter.setDaemon(true); // one that ignores its interrupt must not keep the JVM up
        starter.start();
        try {
            return made.get(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            starter.interrupt();
            throw new IllegalArgumentException("its start function ran past its deadline of " + timeoutMs
                    + " ms (limits.callTimeoutMs) and was stopped");
        } catch (InterruptedException e) {
            starter.interrupt();
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("was interrupted while its instance was being made");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ChicoryException c) {
                throw new IllegalArgumentException("cannot be instantiated: " + c.getMessage());
            }
            if (cause instanceof StackOverflowError) {
                throw new IllegalArgumentException("cannot be instantiated: its start function exhausted the call stack");
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        }
    }

    private Instance build(List<HostFunction> functions) {
        Instance.Builder b = Instance.builder(module).withStart(false)
                .withImportValues(ImportValues.builder().withFunctions(new java.util.ArrayList<ImportFunction>(functions)).build());
        if (hasMemory) {
            b.withMemoryLimits(new MemoryLimits(initialPages, maxPages));
        }
        if (machine != null) {
            b.withMachineFactory(machine);
        }
        Instance instance = b.build(); // runs the module's start function, if it has one
        if (hasInitialize) {
            instance.export("_initialize").apply(); // a WASI reactor's constructors, as Extism's hosts run them
        }
        return instance;
    }

    /** @return the most memory one instance may hold, in bytes */
    long maxBytes() {
        return (long) maxPages * PAGE;
    }
}
