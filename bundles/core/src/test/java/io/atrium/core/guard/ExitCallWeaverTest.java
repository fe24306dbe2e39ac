package io.atrium.core.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/** Classes woven, then loaded and run: their exits throw instead (a wrong rewrite would end this test's JVM). */
class ExitCallWeaverTest {
    /** Woven and run in a loader of its own. */
    public static final class Exits {
        public static void direct() {
            System.exit(7);
        }

        public static void runtime() {
            Runtime.getRuntime().halt(8);
        }

        public static void reference() {
            IntConsumer exit = System::exit;
            exit.accept(9);
        }

        public static void lambda() {
            Runnable r = () -> Runtime.getRuntime().exit(10);
            r.run();
        }
    }

    public static final class Harmless {
        public static String run() {
            return "exit halt"; // the words alone weave nothing
        }
    }

    private static byte[] bytesOf(Class<?> c) throws IOException {
        try (InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    private static Class<?> load(Class<?> c, byte[] bytes) throws ClassNotFoundException {
        return new ClassLoader(ExitCallWeaverTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.equals(c.getName())) {
                    return defineClass(name, bytes, 0, bytes.length);
                }
                return super.loadClass(name, resolve);
            }
        }.loadClass(c.getName());
    }

    private static String refusal(Class<?> woven, String method) {
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> woven.getMethod(method).invoke(null));
        assertEquals(SecurityException.class, e.getCause().getClass());
        return e.getCause().getMessage();
    }

    @Test
    void everyWayOfCallingExitThrowsNamingThePluginAndTheSite() throws Exception {
        byte[] woven = ExitCallWeaver.weave(bytesOf(Exits.class), "test.plugin");
        Class<?> c = load(Exits.class, woven);
        String cls = Exits.class.getName();
        assertEquals("plugin test.plugin may not end the server: System.exit(7) refused at " + cls + ".direct(ExitCallWeaverTest.java:18)",
                refusal(c, "direct"));
        assertEquals("plugin test.plugin may not end the server: Runtime.halt(8) refused at " + cls + ".runtime(ExitCallWeaverTest.java:22)",
                refusal(c, "runtime"));
        assertEquals("plugin test.plugin may not end the server: System.exit(9) refused at a method reference in " + cls
                + " (ExitCallWeaverTest.java)", refusal(c, "reference"));
        assertEquals("plugin test.plugin may not end the server: Runtime.exit(10) refused at " + cls
                + ".lambda$lambda$0(ExitCallWeaverTest.java:31)", refusal(c, "lambda"));
    }

    @Test
    void classesThatCallNoneAreLeftAlone() throws Exception {
        assertNull(ExitCallWeaver.weave(bytesOf(Harmless.class), "test.plugin"));
        assertNull(ExitCallWeaver.weave(bytesOf(ExitCallWeaver.class), "test.plugin"), "mentions the names, calls none of them");
    }
}
