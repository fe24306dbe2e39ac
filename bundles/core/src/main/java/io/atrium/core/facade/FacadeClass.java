package io.atrium.core.facade;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import io.atrium.core.calls.CallProbe;

/**
 * Generates, once per contract, the class of its facades, so a call through a facade costs a field
 * read, a null check and a direct interface call, which the JIT inlines:
 *
 * <pre>{@code
 * public final class Greeter$Facade implements Greeter, Consumer<Object> {
 *     private volatile Object target;              // the implementation, swapped by accept(...)
 *     private final Supplier<Object> waitForTarget; // used only while there is none
 *     private final CallProbe probe;               // the instrumentation point: metrics, traces
 *     public String greet(String name) {
 *         Object call = probe.begin(0);            // 0: the method's index; null when not observed
 *         try {
 *             Object t = target;
 *             if (t == null) t = waitForTarget.get();
 *             String result = ((Greeter) t).greet(name);
 *             probe.end(call, null);
 *             return result;
 *         } catch (Throwable e) {
 *             probe.end(call, e);
 *             throw e;
 *         }
 *     }
 *     public void accept(Object next) { target = next; }
 * }
 * }</pre>
 *
 * A {@link java.lang.reflect.Proxy} does the same through reflection at about 5 ns a call. The class
 * file is version 50 (Java 6), which needs no stack map frames; it is defined in a small class loader
 * whose parent is the contract's, so it sees the contract and, of the core, only {@link CallProbe}.
 */
final class FacadeClass {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /**
     * A facade class per contract, held weakly on both sides: the value's class loader has the contract's
     * loader as parent, so a strong value would hold its own key (a WeakHashMap keyed by the contract kept
     * every old revision of a bundle that brings its own contract), and it also holds this core's loader
     * (through {@link CallProbe}), so a ClassValue kept in the contract (the api's Greeter, which outlives
     * the core) kept every old core revision after a core update. Live facade objects keep their class.
     */
    private static final Map<Class<?>, WeakReference<Class<?>>> CACHE = new WeakHashMap<>();

    private static synchronized Constructor<?> constructor(Class<?> contract) throws ReflectiveOperationException, IOException {
        WeakReference<Class<?>> known = CACHE.get(contract);
        Class<?> type = known == null ? null : known.get();
        if (type == null) {
            String name = "io.atrium.core.facade.generated." + contract.getSimpleName() + "$Facade" + COUNTER.incrementAndGet();
            type = new Loader(contract.getClassLoader()).define(name, write(name, contract));
            CACHE.put(contract, new WeakReference<>(type));
        }
        return type.getConstructor(Supplier.class, CallProbe.class);
    }

    private FacadeClass() {
    }

    /**
     * @param contract      the contract interface
     * @param waitForTarget called when a call finds no implementation: returns the next one or throws
     * @param probe         told about every call; its method indexes are those of {@link #methodNames}
     * @return a facade instance, also a {@code Consumer<Object>} that sets its implementation
     */
    static Object newFacade(Class<?> contract, Supplier<Object> waitForTarget, CallProbe probe) {
        try {
            return constructor(contract).newInstance(waitForTarget, probe);
        } catch (ReflectiveOperationException | IOException | LinkageError e) {
            throw new IllegalStateException("cannot generate a facade for " + contract.getName() + ": " + e, e);
        }
    }

    private static final class Loader extends ClassLoader {
        Loader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            // the one core class generated code uses: the contract's loader cannot see it
            return name.equals(CallProbe.class.getName()) ? CallProbe.class : super.loadClass(name, resolve);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }

    /** The contract's abstract and default instance methods, one per name and descriptor. */
    private static List<Method> methods(Class<?> contract) {
        Map<String, Method> unique = new LinkedHashMap<>();
        for (Method m : contract.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                unique.putIfAbsent(m.getName() + descriptor(m), m);
            }
        }
        return new ArrayList<>(unique.values());
    }

    /** @return the names of the contract methods a facade forwards, by the index its probe is told */
    static String[] methodNames(Class<?> contract) {
        return methods(contract).stream().map(Method::getName).toArray(String[]::new);
    }

    private static String descriptor(Method m) {
        return MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString();
    }

    private static String internal(Class<?> c) {
        return c.getName().replace('.', '/');
    }

    static byte[] write(String className, Class<?> contract) throws IOException {
        Pool pool = new Pool();
        String self = className.replace('.', '/');
        int thisClass = pool.clazz(self);
        int superClass = pool.clazz("java/lang/Object");
        int contractClass = pool.clazz(internal(contract));
        int consumer = pool.clazz("java/util/function/Consumer");
        int target = pool.field(self, "target", "Ljava/lang/Object;");
        int waiter = pool.field(self, "waitForTarget", "Ljava/util/function/Supplier;");
        String probeType = internal(CallProbe.class);
        int probe = pool.field(self, "probe", "L" + probeType + ";");
        int probeBegin = pool.method(probeType, "begin", "(I)Ljava/lang/Object;", false);
        int probeEnd = pool.method(probeType, "end", "(Ljava/lang/Object;Ljava/lang/Throwable;)V", false);
        int objectInit = pool.method("java/lang/Object", "<init>", "()V", false);
        int supplierGet = pool.method("java/util/function/Supplier", "get", "()Ljava/lang/Object;", true);
        int code = pool.utf8("Code");

        List<byte[]> methods = new ArrayList<>();
        // <init>(Supplier, CallProbe): super(); this.waitForTarget = s; this.probe = p;
        methods.add(method(pool, 0x0001, "<init>", "(Ljava/util/function/Supplier;L" + probeType + ";)V", code, 2, 3, bytes(
                0x2a, 0xb7, objectInit >> 8, objectInit & 0xff,
                0x2a, 0x2b, 0xb5, waiter >> 8, waiter & 0xff,
                0x2a, 0x2c, 0xb5, probe >> 8, probe & 0xff,
                0xb1), null));
        // accept(Object): this.target = o;
        methods.add(method(pool, 0x0001, "accept", "(Ljava/lang/Object;)V", code, 2, 2, bytes(
                0x2a, 0x2b, 0xb5, target >> 8, target & 0xff, 0xb1), null));
        List<Method> forwarded = methods(contract);
        for (int index = 0; index < forwarded.size(); index++) {
            Method m = forwarded.get(index);
            int slot = 1;
            for (Class<?> p : m.getParameterTypes()) {
                slot += size(p);
            }
            int call = slot;                            // what probe.begin returned
            int result = call + 1;                      // the return value, if any
            int failure = result + size(m.getReturnType());
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(bytes(0x2a, 0xb4, probe >> 8, probe & 0xff,     // aload_0; getfield probe
                    0x11, index >> 8, index & 0xff,                       // sipush index
                    0xb6, probeBegin >> 8, probeBegin & 0xff,             // invokevirtual begin
                    0x3a, call));                                         // astore call
            int tryStart = body.size();
            body.write(bytes(0x2a, 0xb4, target >> 8, target & 0xff,   // aload_0; getfield target
                    0x59, 0xc7, 0x00, 13,                                  // dup; ifnonnull +13
                    0x57, 0x2a, 0xb4, waiter >> 8, waiter & 0xff,          // pop; aload_0; getfield waitForTarget
                    0xb9, supplierGet >> 8, supplierGet & 0xff, 1, 0,      // invokeinterface get
                    0xc0, contractClass >> 8, contractClass & 0xff));      // checkcast Contract
            int argument = 1;
            for (Class<?> p : m.getParameterTypes()) {
                body.write(load(p));
                body.write(argument);
                argument += size(p);
            }
            int callee = pool.method(internal(m.getDeclaringClass()), m.getName(), descriptor(m), true);
            body.write(bytes(0xb9, callee >> 8, callee & 0xff, slot, 0)); // invokeinterface, count = 1 + argument slots
            Class<?> r = m.getReturnType();
            if (r != void.class) {
                body.write(store(r));
                body.write(result);
            }
            int tryEnd = body.size();
            body.write(endCall(probe, probeEnd, call, -1));            // probe.end(call, null)
            if (r != void.class) {
                body.write(load(r));
                body.write(result);
            }
            body.write(returns(r));
            int handler = body.size();
            body.write(bytes(0x3a, failure));                            // astore failure
            body.write(endCall(probe, probeEnd, call, failure));       // probe.end(call, failure)
            body.write(bytes(0x19, failure, 0xbf));                      // aload failure; athrow
            int maxStack = Math.max(5, Math.max(slot, size(r)));
            methods.add(method(pool, 0x0001 | 0x0010, m.getName(), descriptor(m), code, maxStack, failure + 1, body.toByteArray(),
                    new int[] {tryStart, tryEnd, handler}));
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(0xCAFEBABE);
        d.writeShort(0);
        d.writeShort(50); // Java 6: verified without stack map frames
        pool.writeTo(d);
        d.writeShort(0x0001 | 0x0010 | 0x0020); // public final super
        d.writeShort(thisClass);
        d.writeShort(superClass);
        d.writeShort(2);
        d.writeShort(contractClass);
        d.writeShort(consumer);
        d.writeShort(3); // fields
        writeField(d, 0x0002 | 0x0040, pool.utf8("target"), pool.utf8("Ljava/lang/Object;"));
        writeField(d, 0x0002 | 0x0010, pool.utf8("waitForTarget"), pool.utf8("Ljava/util/function/Supplier;"));
        writeField(d, 0x0002 | 0x0010, pool.utf8("probe"), pool.utf8("L" + probeType + ";"));
        d.writeShort(methods.size());
        for (byte[] m : methods) {
            d.write(m);
        }
        d.writeShort(0); // class attributes
        return out.toByteArray();
    }

    private static void writeField(DataOutputStream d, int access, int name, int descriptor) throws IOException {
        d.writeShort(access);
        d.writeShort(name);
        d.writeShort(descriptor);
        d.writeShort(0);
    }

    /** aload_0; getfield probe; aload call; aload failure (or aconst_null when failureSlot < 0); invokevirtual end */
    private static byte[] endCall(int probe, int probeEnd, int callSlot, int failureSlot) {
        byte[] head = bytes(0x2a, 0xb4, probe >> 8, probe & 0xff, 0x19, callSlot);
        byte[] failure = failureSlot < 0 ? bytes(0x01) : bytes(0x19, failureSlot);
        byte[] call = bytes(0xb6, probeEnd >> 8, probeEnd & 0xff);
        byte[] all = new byte[head.length + failure.length + call.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(failure, 0, all, head.length, failure.length);
        System.arraycopy(call, 0, all, head.length + failure.length, call.length);
        return all;
    }

    /**
     * @param tryBlock null, or {start, end, handler}: one exception-table entry catching everything
     */
    private static byte[] method(Pool pool, int access, String name, String descriptor, int codeAttr, int maxStack, int maxLocals,
                                 byte[] code, int[] tryBlock) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.writeShort(access);
        d.writeShort(pool.utf8(name));
        d.writeShort(pool.utf8(descriptor));
        d.writeShort(1); // one attribute: Code
        d.writeShort(codeAttr);
        int handlers = tryBlock == null ? 0 : 1;
        d.writeInt(2 + 2 + 4 + code.length + 2 + 8 * handlers + 2);
        d.writeShort(maxStack);
        d.writeShort(maxLocals);
        d.writeInt(code.length);
        d.write(code);
        d.writeShort(handlers); // exception table
        if (tryBlock != null) {
            d.writeShort(tryBlock[0]);
            d.writeShort(tryBlock[1]);
            d.writeShort(tryBlock[2]);
            d.writeShort(0); // any throwable
        }
        d.writeShort(0); // attributes
        return out.toByteArray();
    }

    private static int size(Class<?> t) {
        return t == void.class ? 0 : t == long.class || t == double.class ? 2 : 1;
    }

    private static int load(Class<?> t) {
        if (t == long.class) {
            return 0x16;
        }
        if (t == float.class) {
            return 0x17;
        }
        if (t == double.class) {
            return 0x18;
        }
        return t.isPrimitive() ? 0x15 : 0x19; // iload for int, short, char, byte, boolean; aload otherwise
    }

    private static int store(Class<?> t) {
        if (t == long.class) {
            return 0x37;
        }
        if (t == float.class) {
            return 0x38;
        }
        if (t == double.class) {
            return 0x39;
        }
        return t.isPrimitive() ? 0x36 : 0x3a; // istore for int, short, char, byte, boolean; astore otherwise
    }

    private static int returns(Class<?> t) {
        if (t == void.class) {
            return 0xb1;
        }
        if (t == long.class) {
            return 0xad;
        }
        if (t == float.class) {
            return 0xae;
        }
        if (t == double.class) {
            return 0xaf;
        }
        return t.isPrimitive() ? 0xac : 0xb0;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** A constant pool that hands out each entry once. */
    private static final class Pool {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);
        private final Map<String, Integer> index = new HashMap<>();
        private int count = 1;

        int utf8(String s) {
            return entry("U" + s, () -> {
                out.writeByte(1);
                out.writeUTF(s);
            });
        }

        int clazz(String internalName) {
            int name = utf8(internalName);
            return entry("C" + internalName, () -> {
                out.writeByte(7);
                out.writeShort(name);
            });
        }

        int field(String owner, String name, String descriptor) {
            int c = clazz(owner);
            int nt = nameAndType(name, descriptor);
            return entry("F" + owner + "." + name + descriptor, () -> {
                out.writeByte(9);
                out.writeShort(c);
                out.writeShort(nt);
            });
        }

        int method(String owner, String name, String descriptor, boolean onInterface) {
            int c = clazz(owner);
            int nt = nameAndType(name, descriptor);
            return entry((onInterface ? "I" : "M") + owner + "." + name + descriptor, () -> {
                out.writeByte(onInterface ? 11 : 10);
                out.writeShort(c);
                out.writeShort(nt);
            });
        }

        private int nameAndType(String name, String descriptor) {
            int n = utf8(name);
            int t = utf8(descriptor);
            return entry("N" + name + descriptor, () -> {
                out.writeByte(12);
                out.writeShort(n);
                out.writeShort(t);
            });
        }

        private interface Writer {
            void write() throws IOException;
        }

        private int entry(String key, Writer writer) {
            Integer existing = index.get(key);
            if (existing != null) {
                return existing;
            }
            try {
                writer.write();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            index.put(key, count);
            return count++;
        }

        void writeTo(DataOutputStream d) throws IOException {
            d.writeShort(count);
            d.write(bytes.toByteArray());
        }
    }

    /** @return the setter view of a facade made by {@link #newFacade} */
    @SuppressWarnings("unchecked")
    static Consumer<Object> setter(Object facade) {
        return (Consumer<Object>) facade;
    }
}
