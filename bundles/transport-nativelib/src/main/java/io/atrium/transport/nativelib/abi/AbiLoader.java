package io.atrium.transport.nativelib.abi;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Opens a shared library that exports Atrium's C ABI (docs/native.md) in this JVM and binds its call path.
 * Each library is opened {@code RTLD_NOW|RTLD_LOCAL}: every plugin exports the same {@code atrium_*} names,
 * so none may land in the global namespace (JNA's default), and a missing symbol of a dependency is found
 * at open rather than at a first call. The rare functions (the version, the description, init and shutdown)
 * are called through JNA's {@link Function}; the two on every call's path are bound by direct mapping to a
 * class of the library's own ({@link DirectInvoker}).
 */
public final class AbiLoader {
    /** The ABI version this host speaks. */
    public static final int ABI_VERSION = 1;
    /** What every library must export. */
    public static final List<String> REQUIRED = List.of("atrium_abi_version", "atrium_describe", "atrium_invoke", "atrium_free");
    private static final int RTLD_NOW = 2;
    private static final int RTLD_LOCAL = 0;
    private static final byte[] TEMPLATE = template();

    private AbiLoader() {
    }

    private static byte[] template() {
        try (InputStream in = DirectInvoker.class.getResourceAsStream(DirectInvoker.class.getSimpleName() + ".class")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A library opened and bound: close it once no call runs in it. */
    public static final class Opened {
        private final NativeLibrary library;
        private final Class<?> bound;
        /** The library's own description, {@code atrium_describe}'s JSON. */
        public final String description;
        /** Its call path. */
        public final Invoker invoker;
        private final Function shutdown;

        private Opened(NativeLibrary library, Class<?> bound, String description, Invoker invoker, Function shutdown) {
            this.library = library;
            this.bound = bound;
            this.description = description;
            this.invoker = invoker;
            this.shutdown = shutdown;
        }

        /**
         * Closes the library once no call runs in it: with {@code unload}, {@code atrium_shutdown} (if it has one)
         * and then the library unloaded; without (a Go library, whose runtime's threads run on in it, and which
         * another opening may share), only this opening's binding is dropped.
         */
        public void close(boolean unload) {
            if (unload && shutdown != null) {
                shutdown.invokeVoid(new Object[0]);
            }
            Native.unregister(bound);
            if (unload) {
                library.dispose();
            }
        }

        /** @return whether the library, or one it depends on, exports the symbol */
        public boolean exports(String symbol) {
            return function(library, symbol) != null;
        }
    }

    /**
     * @param file   the library (the transport's private copy)
     * @param config the plugin's configuration as a JSON object, for {@code atrium_init}; null: not initialised (a library
     *               opened again, already initialised)
     * @return the library, opened, checked and initialised
     * @throws IllegalArgumentException one line: the dynamic linker's message, the exports missing, the ABI version, a failed init
     */
    public static Opened open(Path file, String config) {
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(file.toString(), Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_LOCAL));
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalArgumentException("cannot be loaded: " + linkerMessage(e.getMessage(), file));
        }
        boolean done = false;
        try {
            List<String> missing = new ArrayList<>();
            for (String name : REQUIRED) {
                if (function(lib, name) == null) {
                    missing.add(name);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("does not export " + String.join(", ", missing)
                        + " (a native plugin exports Atrium's C ABI: docs/native.md)");
            }
            int version = function(lib, "atrium_abi_version").invokeInt(new Object[0]);
            if (version != ABI_VERSION) {
                throw new IllegalArgumentException("speaks Atrium's C ABI version " + Integer.toUnsignedString(version)
                        + "; this server speaks version " + ABI_VERSION);
            }
            Pointer d = function(lib, "atrium_describe").invokePointer(new Object[0]);
            if (d == null) {
                throw new IllegalArgumentException("atrium_describe returned NULL; it returns a JSON object, e.g. {\"contract\": \"…\"}");
            }
            String description = d.getString(0, "UTF-8");
            Function init = config == null ? null : function(lib, "atrium_init");
            if (init != null) {
                byte[] cfg = config.getBytes(StandardCharsets.UTF_8);
                int rc = init.invokeInt(new Object[] {cfg, (long) cfg.length});
                if (rc != 0) {
                    throw new IllegalArgumentException("atrium_init returned " + rc + " for the manifest's configuration");
                }
            }
            Class<?> bound = new OneLibrary(AbiLoader.class.getClassLoader()).define();
            Native.register(bound, lib);
            Invoker invoker;
            try {
                invoker = (Invoker) bound.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            done = true;
            return new Opened(lib, bound, description, invoker, function(lib, "atrium_shutdown"));
        } finally {
            if (!done) {
                lib.dispose();
            }
        }
    }

    private static Function function(NativeLibrary lib, String name) {
        try {
            return lib.getFunction(name);
        } catch (UnsatisfiedLinkError missing) {
            return null;
        }
    }

    /**
     * The dynamic linker's own words (JNA's message is "Unable to load library 'X':" and then each attempt's
     * dlerror, "PATH: why"), without the private copy's path: the operator knows the library by its name.
     */
    static String linkerMessage(String message, Path file) {
        if (message == null) {
            return "the dynamic linker gave no reason";
        }
        String path = file.toString();
        for (String line : message.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("Unable to load library")) {
                continue;
            }
            return l.startsWith(path + ": ") ? l.substring(path.length() + 2) : l.replace(path, file.getFileName().toString());
        }
        return message.strip().replace(path, file.getFileName().toString());
    }

    /** A class loader for one library's copy of {@link DirectInvoker}, whose native methods are that library's. */
    private static final class OneLibrary extends ClassLoader {
        OneLibrary(ClassLoader parent) {
            super(parent);
        }

        Class<?> define() {
            return defineClass(DirectInvoker.class.getName(), TEMPLATE, 0, TEMPLATE.length);
        }
    }
}
