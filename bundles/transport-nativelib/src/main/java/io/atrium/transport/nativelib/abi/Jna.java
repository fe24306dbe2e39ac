package io.atrium.transport.nativelib.abi;

/**
 * Where JNA's own native part comes from. This bundle carries {@code libjnidispatch.so} for Linux x86-64
 * and aarch64 as OSGi native code ({@code Bundle-NativeCode}), which the framework extracts into its own
 * owner-only cache when the bundle's class loader asks for it. JNA asks only if {@code jna.nosys} is false;
 * by default it would instead copy its library out of its jar into the user's home ({@code ~/.cache/JNA})
 * and load it from there. JNA reads system properties only, so the property is set (unless the embedding
 * application set it) before JNA's first class is touched; another JNA in the same JVM then tries its
 * system library first and falls back to its usual copy.
 */
public final class Jna {
    private static volatile String failure;
    private static volatile boolean ready;

    private Jna() {
    }

    /**
     * @throws IllegalArgumentException one line when JNA's native part cannot be loaded on this machine
     */
    public static synchronized void require() {
        if (ready) {
            return;
        }
        if (failure == null) {
            if (System.getProperty("jna.nosys") == null) {
                System.setProperty("jna.nosys", "false");
            }
            try {
                com.sun.jna.Native.getNativeSize(long.class); // loads the dispatch library
                ready = true;
                return;
            } catch (LinkageError e) {
                failure = "native plugins need JNA's native part, which this server carries for Linux x86-64 and aarch64 ("
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + " here): " + e.getMessage();
            }
        }
        throw new IllegalArgumentException(failure);
    }
}
