package io.atrium.core.guard;

import java.nio.charset.StandardCharsets;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Rewrites one class so that its calls of {@code System.exit}, {@code Runtime.exit} and
 * {@code Runtime.halt} (direct calls, lambdas, method references) throw a {@link SecurityException}
 * naming the plugin and the call site, after logging the same line.
 *
 * <p>Each rewritten call becomes a call of a static method added to the class itself, with the same
 * effect on the operand stack as the call it replaces (it consumes the status and returns nothing as far
 * as the verifier knows), so the class's stack map frames stay valid and nothing needs to be loaded to
 * recompute them. Reflection, method handles looked up at run time and JNI are not seen: docs/security.md.
 */
final class ExitCallWeaver {
    /** Logger of the refusals; under {@code io.atrium} like every other line of Atrium's. */
    static final String LOGGER = "io.atrium.core.guard";
    static final String REFUSE = "atrium$refuseExit";
    private static final String REFUSE_DESC = "(ILjava/lang/String;Ljava/lang/String;)V";
    private static final String SYSTEM = "java/lang/System";
    private static final String RUNTIME = "java/lang/Runtime";
    private static final byte[][] NAMES = {bytes("exit"), bytes("halt")};
    private static final byte[][] OWNERS = {bytes(SYSTEM), bytes(RUNTIME)};

    private ExitCallWeaver() {
    }

    /**
     * @param bytes  the class file
     * @param plugin the plugin bundle's symbolic name, for the message
     * @return the woven class file, or null when the class makes none of those calls
     */
    static byte[] weave(byte[] bytes, String plugin) {
        if (!mentionsAny(bytes, OWNERS) || !mentionsAny(bytes, NAMES)) {
            return null; // the constant pool names neither: most classes stop here, unparsed
        }
        ClassReader reader = new ClassReader(bytes);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        Rewriter rewriter = new Rewriter(writer, plugin);
        reader.accept(rewriter, 0);
        return rewriter.woven ? writer.toByteArray() : null;
    }

    /** The replacement for a method handle of one of the calls: its shape, and what it says it is. */
    private enum Target {
        SYSTEM_EXIT("System.exit", Opcodes.H_INVOKESTATIC, SYSTEM, "exit", "(I)V", "atrium$systemExit"),
        RUNTIME_EXIT("Runtime.exit", Opcodes.H_INVOKEVIRTUAL, RUNTIME, "exit", "(I)V", "atrium$runtimeExit"),
        RUNTIME_HALT("Runtime.halt", Opcodes.H_INVOKEVIRTUAL, RUNTIME, "halt", "(I)V", "atrium$runtimeHalt");

        final String call;
        final int tag;
        final String owner;
        final String name;
        final String desc;
        final String replacement;

        Target(String call, int tag, String owner, String name, String desc, String replacement) {
            this.call = call;
            this.tag = tag;
            this.owner = owner;
            this.name = name;
            this.desc = desc;
            this.replacement = replacement;
        }

        /** The static replacement takes the receiver of a virtual call as its first argument. */
        String replacementDesc() {
            return tag == Opcodes.H_INVOKESTATIC ? desc : "(L" + owner + ";" + desc.substring(1);
        }

        static Target of(String owner, String name, String desc) {
            for (Target t : values()) {
                if (t.owner.equals(owner) && t.name.equals(name) && t.desc.equals(desc)) {
                    return t;
                }
            }
            return null;
        }

        static Target of(Handle h) {
            Target t = of(h.getOwner(), h.getName(), h.getDesc());
            return t != null && t.tag == h.getTag() ? t : null;
        }
    }

    private static final class Rewriter extends ClassVisitor {
        private final String plugin;
        private String owner;
        private String className;
        private String source = "unknown source";
        private boolean itf;
        boolean woven;
        private final java.util.EnumSet<Target> handles = java.util.EnumSet.noneOf(Target.class);
        private int methodAccess;

        Rewriter(ClassVisitor next, String plugin) {
            super(Opcodes.ASM9, next);
            this.plugin = plugin;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
            owner = name;
            className = name.replace('/', '.');
            itf = (access & Opcodes.ACC_INTERFACE) != 0;
            // private static interface methods need class files of Java 9; older ones get public static ones,
            // and interfaces older than Java 8 cannot hold a static method at all: left as they are.
            int major = version & 0xFFFF;
            methodAccess = Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC | (itf && major < Opcodes.V9 ? Opcodes.ACC_PUBLIC : Opcodes.ACC_PRIVATE);
            if (itf && major < Opcodes.V1_8) {
                cv = null;
            }
            super.visit(version, access, name, signature, superName, interfaces);
        }

        @Override
        public void visitSource(String file, String debug) {
            if (file != null) {
                source = file;
            }
            super.visitSource(file, debug);
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
            return next == null ? null : new CallRewriter(next, name);
        }

        @Override
        public void visitEnd() {
            if (woven && cv != null) {
                addRefusal();
                for (Target t : handles) {
                    addHandleTarget(t);
                }
            }
            super.visitEnd();
        }

        /** {@code static void atrium$refuseExit(int status, String call, String site)}: logs, then throws. */
        private void addRefusal() {
            MethodVisitor m = cv.visitMethod(methodAccess, REFUSE, REFUSE_DESC, null, null);
            m.visitCode();
            m.visitTypeInsn(Opcodes.NEW, "java/lang/StringBuilder");
            m.visitInsn(Opcodes.DUP);
            m.visitLdcInsn("plugin " + plugin + " may not end the server: ");
            m.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/StringBuilder", "<init>", "(Ljava/lang/String;)V", false);
            m.visitVarInsn(Opcodes.ALOAD, 1);
            append(m, "Ljava/lang/String;");
            m.visitLdcInsn("(");
            append(m, "Ljava/lang/String;");
            m.visitVarInsn(Opcodes.ILOAD, 0);
            append(m, "I");
            m.visitLdcInsn(") refused at ");
            append(m, "Ljava/lang/String;");
            m.visitVarInsn(Opcodes.ALOAD, 2);
            append(m, "Ljava/lang/String;");
            m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/StringBuilder", "toString", "()Ljava/lang/String;", false);
            m.visitVarInsn(Opcodes.ASTORE, 3);
            m.visitLdcInsn(LOGGER);
            m.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/logging/Logger", "getLogger", "(Ljava/lang/String;)Ljava/util/logging/Logger;", false);
            m.visitVarInsn(Opcodes.ALOAD, 3);
            m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/util/logging/Logger", "warning", "(Ljava/lang/String;)V", false);
            m.visitTypeInsn(Opcodes.NEW, "java/lang/SecurityException");
            m.visitInsn(Opcodes.DUP);
            m.visitVarInsn(Opcodes.ALOAD, 3);
            m.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/SecurityException", "<init>", "(Ljava/lang/String;)V", false);
            m.visitInsn(Opcodes.ATHROW);
            m.visitMaxs(0, 0);
            m.visitEnd();
        }

        private static void append(MethodVisitor m, String type) {
            m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/StringBuilder", "append", "(" + type + ")Ljava/lang/StringBuilder;", false);
        }

        /** A static method of the handle's shape that refuses: what a method reference to the call now points at. */
        private void addHandleTarget(Target t) {
            MethodVisitor m = cv.visitMethod(methodAccess, t.replacement, t.replacementDesc(), null, null);
            m.visitCode();
            m.visitVarInsn(Opcodes.ILOAD, t.tag == Opcodes.H_INVOKESTATIC ? 0 : 1);
            m.visitLdcInsn(t.call);
            m.visitLdcInsn("a method reference in " + className + " (" + source + ")");
            m.visitMethodInsn(Opcodes.INVOKESTATIC, owner, REFUSE, REFUSE_DESC, itf);
            m.visitInsn(Opcodes.RETURN);
            m.visitMaxs(0, 0);
            m.visitEnd();
        }

        private Object replace(Object constant) {
            if (constant instanceof Handle h) {
                Target t = Target.of(h);
                if (t != null) {
                    woven = true;
                    handles.add(t);
                    return new Handle(Opcodes.H_INVOKESTATIC, owner, t.replacement, t.replacementDesc(), itf);
                }
            }
            return constant;
        }

        private final class CallRewriter extends MethodVisitor {
            private final String method;
            private int line = -1;

            CallRewriter(MethodVisitor next, String method) {
                super(Opcodes.ASM9, next);
                this.method = method;
            }

            @Override
            public void visitLineNumber(int line, org.objectweb.asm.Label start) {
                this.line = line;
                super.visitLineNumber(line, start);
            }

            @Override
            public void visitMethodInsn(int opcode, String callee, String name, String descriptor, boolean isInterface) {
                Target t = Target.of(callee, name, descriptor);
                boolean matches = t != null && (t.tag == Opcodes.H_INVOKESTATIC ? opcode == Opcodes.INVOKESTATIC : opcode == Opcodes.INVOKEVIRTUAL);
                if (!matches) {
                    super.visitMethodInsn(opcode, callee, name, descriptor, isInterface);
                    return;
                }
                woven = true;
                if (t.tag != Opcodes.H_INVOKESTATIC) {
                    super.visitInsn(Opcodes.SWAP); // [runtime, status] -> [status]
                    super.visitInsn(Opcodes.POP);
                }
                super.visitLdcInsn(t.call);
                super.visitLdcInsn(className + "." + method + "(" + source + (line > 0 ? ":" + line : "") + ")");
                super.visitMethodInsn(Opcodes.INVOKESTATIC, owner, REFUSE, REFUSE_DESC, itf);
            }

            @Override
            public void visitLdcInsn(Object value) {
                super.visitLdcInsn(replace(value));
            }

            @Override
            public void visitInvokeDynamicInsn(String name, String descriptor, Handle bootstrap, Object... arguments) {
                Object[] args = arguments.clone();
                for (int i = 0; i < args.length; i++) {
                    args[i] = replace(args[i]);
                }
                super.visitInvokeDynamicInsn(name, descriptor, bootstrap, args);
            }
        }
    }

    private static boolean mentionsAny(byte[] haystack, byte[][] needles) {
        for (byte[] n : needles) {
            if (indexOf(haystack, n) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(byte[] h, byte[] n) {
        outer:
        for (int i = 0, last = h.length - n.length; i <= last; i++) {
            for (int j = 0; j < n.length; j++) {
                if (h[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
