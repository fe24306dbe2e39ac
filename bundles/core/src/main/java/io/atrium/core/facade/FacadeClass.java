package io.atrium.core.facade;

import java.lang.ref.WeakReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import io.atrium.api.Invocable;
import io.atrium.core.calls.CallProbe;
import org.objectweb.asm.ClassTooLargeException;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

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
 *     // Invocable.call(function, input) begins with probe.begin(index, function): observed per declared function
 * }
 * }</pre>
 *
 * A {@link java.lang.reflect.Proxy} does the same through reflection at about 5 ns a call. The class is
 * written with ASM (the core's private copy), which computes its stack map frames without loading a
 * class; it is defined in a small class loader whose parent is the contract's, so it sees the contract
 * and, of the core, only {@link CallProbe}.
 */
final class FacadeClass {
    private static final String OBJECT = "java/lang/Object";
    private static final String OBJECT_DESC = "Ljava/lang/Object;";
    private static final String CONSUMER = "java/util/function/Consumer";
    private static final String SUPPLIER = "java/util/function/Supplier";
    private static final String SUPPLIER_DESC = "L" + SUPPLIER + ";";
    private static final String PROBE = Type.getInternalName(CallProbe.class);
    private static final String PROBE_DESC = "L" + PROBE + ";";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /**
     * A facade class per contract, held weakly on both sides: the value's class loader has the contract's
     * loader as parent, so a strong value would hold its own key (a WeakHashMap keyed by the contract kept
     * every old revision of a bundle that brings its own contract), and it also holds this core's loader
     * (through {@link CallProbe}), so a ClassValue kept in the contract (the api's Greeter, which outlives
     * the core) kept every old core revision after a core update. Live facade objects keep their class.
     */
    private static final Map<Class<?>, WeakReference<Class<?>>> CACHE = new WeakHashMap<>();

    private static synchronized Constructor<?> constructor(Class<?> contract) throws ReflectiveOperationException {
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
        } catch (ReflectiveOperationException | ClassTooLargeException | LinkageError e) {
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
        return Type.getMethodDescriptor(m);
    }

    static byte[] write(String className, Class<?> contract) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            /**
             * ASM's own answer loads both classes with the core's loader, which sees no plugin's types. It is
             * never asked: the frames of a facade method merge only Object with Object (the target, fetched
             * either way) and the handler's Throwable with itself; Object is also the verifier's view of any
             * interface, so it stays a sound answer should a merge of two reference types ever be added.
             */
            @Override
            protected String getCommonSuperClass(String type1, String type2) {
                return OBJECT;
            }
        };
        String self = className.replace('.', '/');
        String contractType = Type.getInternalName(contract);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, self, null, OBJECT,
                new String[] {contractType, CONSUMER});
        cw.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_VOLATILE, "target", OBJECT_DESC, null, null).visitEnd();
        cw.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_FINAL, "waitForTarget", SUPPLIER_DESC, null, null).visitEnd();
        cw.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_FINAL, "probe", PROBE_DESC, null, null).visitEnd();

        // <init>(Supplier, CallProbe): super(); this.waitForTarget = s; this.probe = p;
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "(" + SUPPLIER_DESC + PROBE_DESC + ")V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, OBJECT, "<init>", "()V", false);
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitVarInsn(Opcodes.ALOAD, 1);
        init.visitFieldInsn(Opcodes.PUTFIELD, self, "waitForTarget", SUPPLIER_DESC);
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitVarInsn(Opcodes.ALOAD, 2);
        init.visitFieldInsn(Opcodes.PUTFIELD, self, "probe", PROBE_DESC);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        // accept(Object): this.target = o;
        MethodVisitor accept = cw.visitMethod(Opcodes.ACC_PUBLIC, "accept", "(" + OBJECT_DESC + ")V", null, null);
        accept.visitCode();
        accept.visitVarInsn(Opcodes.ALOAD, 0);
        accept.visitVarInsn(Opcodes.ALOAD, 1);
        accept.visitFieldInsn(Opcodes.PUTFIELD, self, "target", OBJECT_DESC);
        accept.visitInsn(Opcodes.RETURN);
        accept.visitMaxs(0, 0);
        accept.visitEnd();

        List<Method> forwarded = methods(contract);
        for (int index = 0; index < forwarded.size(); index++) {
            forward(cw, self, contractType, index, forwarded.get(index));
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The method of the class comment: probe.begin, the target (or the wait for one), the call, probe.end. */
    private static void forward(ClassWriter cw, String self, String contractType, int index, Method m) {
        Type[] parameters = Type.getArgumentTypes(m);
        Type returned = Type.getReturnType(m);
        int call = 1;                                   // what probe.begin returned, after this and the arguments
        for (Type p : parameters) {
            call += p.getSize();
        }
        int result = call + 1;                          // the return value, if any
        int failure = result + returned.getSize();
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, m.getName(), descriptor(m), null, null);
        Label tryStart = new Label();
        Label tryEnd = new Label();
        Label handler = new Label();
        Label ready = new Label();
        mv.visitCode();
        mv.visitTryCatchBlock(tryStart, tryEnd, handler, null); // any throwable
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, self, "probe", PROBE_DESC);
        mv.visitIntInsn(Opcodes.SIPUSH, index);
        if (namesFunction(m)) {                         // probe.begin(index, function): observed as the function called
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, PROBE, "begin", "(ILjava/lang/String;)" + OBJECT_DESC, false);
        } else {
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, PROBE, "begin", "(I)" + OBJECT_DESC, false);
        }
        mv.visitVarInsn(Opcodes.ASTORE, call);
        mv.visitLabel(tryStart);
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, self, "target", OBJECT_DESC);
        mv.visitInsn(Opcodes.DUP);
        mv.visitJumpInsn(Opcodes.IFNONNULL, ready);
        mv.visitInsn(Opcodes.POP);
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, self, "waitForTarget", SUPPLIER_DESC);
        mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, SUPPLIER, "get", "()" + OBJECT_DESC, true);
        mv.visitLabel(ready);
        mv.visitTypeInsn(Opcodes.CHECKCAST, contractType);
        int slot = 1;
        for (Type p : parameters) {
            mv.visitVarInsn(p.getOpcode(Opcodes.ILOAD), slot);
            slot += p.getSize();
        }
        mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, Type.getInternalName(m.getDeclaringClass()), m.getName(), descriptor(m), true);
        if (returned.getSort() != Type.VOID) {
            mv.visitVarInsn(returned.getOpcode(Opcodes.ISTORE), result);
        }
        mv.visitLabel(tryEnd);
        endCall(mv, self, call, -1);                    // probe.end(call, null)
        if (returned.getSort() != Type.VOID) {
            mv.visitVarInsn(returned.getOpcode(Opcodes.ILOAD), result);
        }
        mv.visitInsn(returned.getOpcode(Opcodes.IRETURN));
        mv.visitLabel(handler);
        mv.visitVarInsn(Opcodes.ASTORE, failure);
        endCall(mv, self, call, failure);               // probe.end(call, failure)
        mv.visitVarInsn(Opcodes.ALOAD, failure);
        mv.visitInsn(Opcodes.ATHROW);
        mv.visitMaxs(0, 0);                             // computed
        mv.visitEnd();
    }

    /**
     * @return whether the method is {@link Invocable#call}, whose first argument names the function called; by
     *         name, as a plugin may be wired to another revision of the API than the core
     */
    static boolean namesFunction(Method m) {
        return m.getName().equals("call") && m.getDeclaringClass().getName().equals(Invocable.class.getName())
                && m.getParameterCount() == 2 && m.getParameterTypes()[0] == String.class;
    }

    /** this.probe.end(call, failure), or with null when failureSlot < 0 */
    private static void endCall(MethodVisitor mv, String self, int callSlot, int failureSlot) {
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, self, "probe", PROBE_DESC);
        mv.visitVarInsn(Opcodes.ALOAD, callSlot);
        if (failureSlot < 0) {
            mv.visitInsn(Opcodes.ACONST_NULL);
        } else {
            mv.visitVarInsn(Opcodes.ALOAD, failureSlot);
        }
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, PROBE, "end", "(" + OBJECT_DESC + "Ljava/lang/Throwable;)V", false);
    }

    /** @return the setter view of a facade made by {@link #newFacade} */
    @SuppressWarnings("unchecked")
    static Consumer<Object> setter(Object facade) {
        return (Consumer<Object>) facade;
    }
}
