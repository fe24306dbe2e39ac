package io.atrium.transport.wasm.abi;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.atrium.spi.HostFunction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The host functions other bundles register as {@link HostFunction} services, and the binding of a
 * module's imports to them. A module is bound when it loads: each import from {@value HostFunction#USER}
 * (or from a namespace some service declares) to the service of that namespace and name whose
 * signature matches, the highest ranked when several do. When the services change, the transport is
 * told on a thread of this registry's own, never on the registering bundle's: it loads the modules
 * that waited for a function again, and those whose function went.
 */
public final class HostFunctions {
    private static final Logger LOG = Logger.getLogger("io.atrium.transport.wasm");

    /**
     * A service with what it declared, asked once when it came: a service answering otherwise later, or
     * throwing, cannot break the binding of every module.
     */
    private record Provided(HostFunction function, String namespace, String name, FunctionType type, int ranking, long id) {
    }

    /** Namespaces whose functions Atrium itself provides (the kernel, WASI by the manifest's grant): no service may add to them. */
    private static final java.util.Set<String> RESERVED = java.util.Set.of(ExtismKernel.MODULE, "wasi_snapshot_preview1");

    /** Highest ranking first, then the oldest service, as OSGi orders services. */
    private static final Comparator<Provided> ORDER = Comparator.comparingInt(Provided::ranking).reversed().thenComparingLong(Provided::id);

    private final CopyOnWriteArrayList<Provided> provided = new CopyOnWriteArrayList<>();
    /**
     * Every namespace a service declared while this transport runs, kept when its services go: a module
     * bound to one then waits for it again rather than keep calling the function of a stopped bundle.
     */
    private final java.util.Set<String> namespaces = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong version = new AtomicLong();
    private final Runnable changed;
    private final ThreadPoolExecutor worker;

    /** @param changed told, on this registry's thread, when a function came or went */
    public HostFunctions(Runnable changed) {
        this.changed = changed;
        this.worker = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "atrium-wasm-host-functions");
            t.setDaemon(true);
            return t;
        });
        worker.allowCoreThreadTimeOut(true);
    }

    /** A service came: modules waiting for it are loaded again. */
    public void add(HostFunction f, Map<String, ?> properties) {
        Object ranking = properties.get("service.ranking");
        Object id = properties.get("service.id");
        String namespace;
        String name;
        FunctionType type;
        try {
            namespace = f.namespace();
            name = f.name();
            type = type(f);
        } catch (RuntimeException e) {
            LOG.warning("host function " + f.getClass().getName() + " is ignored: it cannot say its namespace, name and signature: " + e);
            return;
        }
        if (namespace == null || name == null) {
            LOG.warning("host function " + f.getClass().getName() + " is ignored: its " + (namespace == null ? "namespace" : "name") + " is null");
            return;
        }
        if (RESERVED.contains(namespace)) {
            LOG.warning("host function " + namespace + "::" + name + " (" + f.getClass().getName() + ") is ignored: Atrium provides "
                    + namespace + " itself");
            return;
        }
        namespaces.add(namespace);
        provided.add(new Provided(f, namespace, name, type, ranking instanceof Integer r ? r : 0, id instanceof Long l ? l : Long.MAX_VALUE));
        version.incrementAndGet();
        retryLater();
    }

    /** A service went: modules bound to it are loaded again, bound to another or waiting. */
    public void remove(HostFunction f) {
        provided.removeIf(p -> p.function == f);
        version.incrementAndGet();
        retryLater();
    }

    /** @return a number that changes whenever the services do: a module bound before it changed may have to be bound again */
    public long version() {
        return version.get();
    }

    /** Tells the transport, on this registry's thread, that the services changed. */
    public void retryLater() {
        try {
            worker.execute(() -> {
                try {
                    changed.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "loading the wasm plugins again for the changed host functions failed: " + e, e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the transport is going
        }
    }

    public void close() {
        worker.shutdownNow();
    }

    /** @return whether a function {@code bound} calls is no longer provided */
    public boolean gone(Bound bound) {
        return bound.functions.stream().anyMatch(f -> provided.stream().noneMatch(p -> p.function == f));
    }

    /** @return whether a module's function imports from {@code namespace} are host functions (the user namespace, or one a service declares or declared) */
    public boolean isHostNamespace(String namespace) {
        return HostFunction.USER.equals(namespace) || namespaces.contains(namespace);
    }

    /** A function a module imports. */
    public record Import(String namespace, String name, FunctionType type) {
        @Override
        public String toString() {
            return namespace + "::" + name + " " + signature(type.params(), type.returns());
        }
    }

    /**
     * Binds each import to the function providing it.
     *
     * @param file    the module's file name, for the message
     * @param imports its host function imports
     * @throws Missing naming every import no function provides, so one fix is enough
     */
    public Bound bind(String file, List<Import> imports) {
        List<Provided> sorted = new ArrayList<>(provided);
        sorted.sort(ORDER);
        List<HostFunction> bound = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Import imp : imports) {
            HostFunction match = null;
            for (Provided p : sorted) {
                if (imp.namespace.equals(p.namespace) && imp.name.equals(p.name) && p.type.equals(imp.type)) {
                    match = p.function;
                    break;
                }
            }
            if (match == null) {
                String other = sorted.stream().filter(p -> imp.namespace.equals(p.namespace) && imp.name.equals(p.name)).findFirst()
                        .map(p -> " (the one named so is " + signature(p.type.params(), p.type.returns()) + ")").orElse("");
                missing.add(imp + other);
            }
            bound.add(match);
        }
        if (!missing.isEmpty()) {
            throw new Missing(file + " imports " + String.join(" and ", missing) + ", which no host function provides");
        }
        return new Bound(imports, bound);
    }

    /** A module imports host functions no service provides (now): it waits for them. */
    public static final class Missing extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Missing(String message) {
            super(message);
        }
    }

    /** A module's host function imports bound to the functions providing them. */
    public static final class Bound {
        public static final Bound NONE = new Bound(List.of(), List.of());
        private final List<Import> imports;
        private final List<HostFunction> functions;

        private Bound(List<Import> imports, List<HostFunction> functions) {
            this.imports = List.copyOf(imports);
            this.functions = List.copyOf(functions);
        }

        public boolean isEmpty() {
            return imports.isEmpty();
        }

        /** @return the imports, as plugin:info lists them */
        @Override
        public String toString() {
            return imports.stream().map(Import::toString).collect(java.util.stream.Collectors.joining(", "));
        }

        /** @return the functions for one instance, calling into its kernel's Extism memory */
        public List<com.dylibso.chicory.runtime.HostFunction> forInstance(ExtismKernel kernel, String plugin) {
            // the thread running a host function of this instance now: Extism memory is the call's, not
            // thread-safe, so a Call kept and used later (or elsewhere) must not reach another call's
            java.util.concurrent.atomic.AtomicReference<Thread> running = new java.util.concurrent.atomic.AtomicReference<>();
            HostFunction.Call call = new HostFunction.Call() {
                private ExtismKernel kernel() {
                    if (running.get() != Thread.currentThread()) {
                        throw new IllegalStateException("the Call of plugin '" + plugin + "' is used outside its host function's call");
                    }
                    return kernel;
                }

                @Override
                public String plugin() {
                    return plugin;
                }

                @Override
                public byte[] read(long offset) {
                    try {
                        return kernel().block(offset);
                    } catch (ExtismKernel.AbiException e) {
                        throw new IllegalArgumentException(e.getMessage());
                    }
                }

                @Override
                public long store(byte[] bytes) {
                    try {
                        return kernel().store(bytes);
                    } catch (ExtismKernel.AbiException e) {
                        throw new IllegalArgumentException(e.getMessage());
                    }
                }
            };
            List<com.dylibso.chicory.runtime.HostFunction> out = new ArrayList<>();
            for (int i = 0; i < imports.size(); i++) {
                Import imp = imports.get(i);
                HostFunction f = functions.get(i);
                int results = imp.type.returns().size();
                out.add(new com.dylibso.chicory.runtime.HostFunction(imp.namespace, imp.name, imp.type, (instance, args) -> {
                    long[] r;
                    running.set(Thread.currentThread());
                    try {
                        r = f.call(call, args);
                    } catch (Exception e) { // an interrupt too: the call's deadline passed, and the pool says so
                        throw new ExtismKernel.AbiException("host function " + imp.namespace + "::" + imp.name + " failed: " + e);
                    } finally {
                        running.set(null);
                    }
                    if ((r == null ? 0 : r.length) != results) {
                        throw new ExtismKernel.AbiException("host function " + imp.namespace + "::" + imp.name + " returned "
                                + (r == null ? 0 : r.length) + " value(s) instead of " + results);
                    }
                    return r;
                }));
            }
            return out;
        }
    }

    private static FunctionType type(HostFunction f) {
        return FunctionType.of(f.params().stream().map(HostFunctions::valType).toList(), f.results().stream().map(HostFunctions::valType).toList());
    }

    private static ValType valType(HostFunction.Type t) {
        return switch (t) {
            case I32 -> ValType.I32;
            case I64 -> ValType.I64;
            case F32 -> ValType.F32;
            case F64 -> ValType.F64;
        };
    }

    /** A signature as messages show it: {@code (i64) -> i64}, {@code (i32, i32) -> ()}. */
    static String signature(List<ValType> params, List<ValType> results) {
        return "(" + names(params) + ") -> " + (results.size() == 1 ? names(results) : "(" + names(results) + ")");
    }

    private static String names(List<ValType> types) {
        List<String> s = new ArrayList<>();
        for (ValType t : types) {
            s.add(t.equals(ValType.I32) ? "i32" : t.equals(ValType.I64) ? "i64" : t.equals(ValType.F32) ? "f32"
                    : t.equals(ValType.F64) ? "f64" : t.toString().toLowerCase(java.util.Locale.ROOT));
        }
        return String.join(", ", s);
    }
}
