package io.atrium.transport.script.weaving;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * A build step (bound to process-classes in this module's pom, before the tests and the bundle): writes
 * into the bundle's classes the engines' three string-growth points with a check at their entry, so that
 * a script's concatenation is bounded by its {@code limits.maxStringLength} before the copy is made, not
 * at the budget's next tick, ten thousand instructions later (thirty doublings of a string are thirty
 * instructions: gigabytes). Neither engine has a hook there.
 * <ul>
 * <li>LuaJ's {@code LuaString.concatTo(LuaString)} (the {@code ..} of two strings) and {@code Buffer.realloc}
 * (a chain {@code a .. b .. c}) call {@code LuaGrowth.check};</li>
 * <li>Rhino's {@code ConsString(CharSequence, CharSequence)} (every {@code +} and template literal of strings)
 * calls {@code JsGrowth.check}.</li>
 * </ul>
 * Each woven class gets a field {@value #MARK}, which the engines look for before they run a script. The
 * classes are read from the engines' own jars each time, so a second build weaves them once.
 */
public final class StringGrowthGuard {
    /** The field each woven class carries. */
    public static final String MARK = "ATRIUM_STRING_GROWTH_GUARD";
    private static final String LUA_CHECK = "io/atrium/transport/script/lua/LuaGrowth";
    private static final String JS_CHECK = "io/atrium/transport/script/js/JsGrowth";

    private StringGrowthGuard() {
    }

    public static void main(String[] args) throws IOException, URISyntaxException {
        Path out = Path.of(args[0]);
        weave(out, org.luaj.vm2.LuaValue.class, "org/luaj/vm2/LuaString", "concatTo", "(Lorg/luaj/vm2/LuaString;)Lorg/luaj/vm2/LuaValue;", mv -> {
            // LuaGrowth.check(lhs.m_length, this.m_length)
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitFieldInsn(Opcodes.GETFIELD, "org/luaj/vm2/LuaString", "m_length", "I");
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            mv.visitFieldInsn(Opcodes.GETFIELD, "org/luaj/vm2/LuaString", "m_length", "I");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, LUA_CHECK, "check", "(II)V", false);
        });
        weave(out, org.luaj.vm2.LuaValue.class, "org/luaj/vm2/Buffer", "realloc", "(II)V", mv -> {
            // LuaGrowth.check(newSize, 0)
            mv.visitVarInsn(Opcodes.ILOAD, 1);
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, LUA_CHECK, "check", "(II)V", false);
        });
        weave(out, org.mozilla.javascript.Context.class, "org/mozilla/javascript/ConsString", "<init>",
                "(Ljava/lang/CharSequence;Ljava/lang/CharSequence;)V", mv -> {
            // JsGrowth.check(left.length(), right.length()), before the constructor touches this
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/lang/CharSequence", "length", "()I", true);
            mv.visitVarInsn(Opcodes.ALOAD, 2);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/lang/CharSequence", "length", "()I", true);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, JS_CHECK, "check", "(II)V", false);
        });
    }

    private static void weave(Path out, Class<?> fromJarOf, String className, String method, String descriptor,
                              java.util.function.Consumer<MethodVisitor> check) throws IOException, URISyntaxException {
        Path jar = Path.of(fromJarOf.getProtectionDomain().getCodeSource().getLocation().toURI());
        byte[] original;
        try (JarFile j = new JarFile(jar.toFile()); InputStream in = j.getInputStream(j.getEntry(className + ".class"))) {
            original = in.readAllBytes();
        }
        ClassReader reader = new ClassReader(original);
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] found = {false};
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, desc, signature, exceptions);
                if (!name.equals(method) || !desc.equals(descriptor)) {
                    return mv;
                }
                found[0] = true;
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    @Override
                    public void visitCode() {
                        super.visitCode();
                        check.accept(this);
                    }

                    @Override
                    public void visitMaxs(int maxStack, int maxLocals) {
                        super.visitMaxs(Math.max(maxStack, 2), maxLocals); // the check's two ints
                    }
                };
            }

            @Override
            public void visitEnd() {
                visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, MARK, "Z", null, 1).visitEnd();
                super.visitEnd();
            }
        }, 0);
        if (!found[0]) {
            throw new IllegalStateException(className + " has no " + method + descriptor + " in " + jar + ": the engine changed; weave its new growth point");
        }
        Path target = out.resolve(className + ".class");
        Files.createDirectories(target.getParent());
        Files.write(target, writer.toByteArray());
        System.out.println("[string growth guard] " + className + "." + method + " checks " + (className.contains("luaj") ? LUA_CHECK : JS_CHECK));
    }
}
