package io.atrium.transport.nativelib.inprocess;

import io.atrium.transport.nativelib.manifest.NativeManifest;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.kit.CallResults;
import io.atrium.transport.support.kit.Functions;
import io.atrium.transport.support.kit.ManifestTransport;
import io.atrium.transport.support.kit.Supervisor;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A native plugin whose library runs in the server's JVM, on the kit's {@link Supervisor}. Its instance is
 * the loaded library; a reload loads the new version first, moves new calls to it, and unloads the old one
 * once its calls are done. A call runs on the caller's thread, with nothing between the library and the
 * server: a crash in its code ends the server, and a call that never returns holds its caller for good
 * (docs/native.md).
 */
public final class InProcessPlugin extends Supervisor<NativeManifest, LoadedLibrary> {
    /** The id this transport declares on its plugins' services and descriptors. */
    public static final String TRANSPORT_ID = "native";

    private final Function<NativeManifest, LoadedLibrary> loader;
    private final Libraries libraries;

    /** @param loader reads, checks and loads a manifest's library, once per open */
    public InProcessPlugin(ManifestTransport<NativeManifest, ?> transport, NativeManifest manifest, Class<?> contract,
                           Function<NativeManifest, LoadedLibrary> loader, Libraries libraries) {
        super(transport, manifest, contract);
        this.loader = loader;
        this.libraries = libraries;
    }

    @Override
    protected boolean opensInForeground() {
        return true;
    }

    @Override
    protected LoadedLibrary open(NativeManifest next) {
        LoadedLibrary lib = loader.apply(next);
        if (lib.methods != null && !invocable()) {
            java.util.List<String> missing = new java.util.ArrayList<>();
            for (Method m : contract().getMethods()) {
                if (m.getDeclaringClass() != Object.class && !lib.methods.contains(next.nameFor(m.getName()))) {
                    missing.add(next.nameFor(m.getName()));
                }
            }
            if (!missing.isEmpty()) {
                lib.close();
                throw new IllegalArgumentException(next.library().getFileName() + " does not answer " + String.join(", ", missing) + ", which "
                        + contract().getSimpleName() + " needs (it answers: " + String.join(", ", lib.methods) + ")");
            }
        }
        return lib;
    }

    /** @return the names a library with no contract may be called by: those its manifest lists, else those it says it answers */
    @Override
    protected java.util.Collection<String> functions(NativeManifest m, LoadedLibrary lib) {
        return !m.functions().isEmpty() ? m.functions() : lib == null ? null : lib.methods;
    }

    @Override
    protected Object call(LoadedLibrary lib, NativeManifest m, Method method, Object[] args, long timeoutMs) {
        String name = m.nameFor(method.getName());
        String answer = lib.invoke(name, JsonCodec.arguments(args));
        if (method.getReturnType() == void.class) {
            return null;
        }
        return CallResults.read(m.name(), name, method, answer);
    }

    /** A function called by name: its input is the JSON arguments (one argument, or an array of them), its answer JSON. */
    @Override
    protected String callFunction(LoadedLibrary lib, NativeManifest m, String function, String input, long timeoutMs) {
        String answer = lib.invoke(function, Functions.jsonArguments(m.name(), function, input == null ? "" : input));
        Functions.checkJson(m.name(), function, answer);
        return answer;
    }

    @Override
    protected Map<String, String> details(NativeManifest m, LoadedLibrary lib) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("library", m.library().getFileName().toString());
        d.put("isolation", m.isolation().label() + " (a crash in the library ends the server)");
        if (lib != null) {
            d.put("sha256", lib.digest);
            if (lib.version != null) {
                d.put("library version", lib.version);
            }
            d.put("threading", lib.parallel() ? "parallel" : "serial (one call at a time)");
            d.put("runtime", lib.go ? "Go (never unloaded; the only Go library this server runs in-process)" : "C ABI");
        }
        d.put("mapped copies", Integer.toString(libraries.mapped(m.name())));
        d.put("call timeout", "none: a call in the server's JVM cannot be stopped (docs/native.md)");
        return d;
    }
}
