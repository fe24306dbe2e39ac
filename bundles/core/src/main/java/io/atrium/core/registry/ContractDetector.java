package io.atrium.core.registry;

import io.atrium.api.PluginContract;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** Decides whether a service is a plugin: whether one of its interfaces carries {@link PluginContract}. Asked by {@link PluginTracker} only. */
final class ContractDetector {

    /** What a service's interfaces say: its contract, or the bundle of a foreign copy of the API. */
    record Verdict(String contract, String foreignApiBundle) {
        static final Verdict NONE = new Verdict(null, null);
    }

    private ContractDetector() {
    }

    static Verdict inspect(ServiceReference<?> ref) {
        Bundle bundle = ref.getBundle();
        Object classes = ref.getProperty(Constants.OBJECTCLASS);
        if (bundle == null || !(classes instanceof String[])) {
            return Verdict.NONE;
        }
        for (String name : (String[]) classes) {
            if (isInfrastructure(name)) {
                continue;
            }
            Optional<Class<?>> type = load(bundle, name);
            if (type.isEmpty() || !type.get().isInterface()) {
                continue;
            }
            for (var annotation : type.get().getAnnotations()) {
                if (annotation.annotationType() == PluginContract.class) {
                    return new Verdict(name, null);
                }
                if (annotation.annotationType().getName().equals(PluginContract.class.getName())) {
                    // The same annotation from another class space: the plugin carries its own copy of
                    // the API, so consumers wired to the server's API never see its service.
                    Bundle owner = org.osgi.framework.FrameworkUtil.getBundle(type.get());
                    return new Verdict(name, owner == null ? "?" : owner.getSymbolicName());
                }
            }
        }
        return Verdict.NONE;
    }

    /** Framework and JDK services are never contracts; skipping them saves a class load per service. */
    private static boolean isInfrastructure(String name) {
        return name.startsWith("java.") || name.startsWith("org.osgi.") || name.startsWith("org.apache.felix.")
                || name.startsWith("io.atrium.api.Plugin") || name.startsWith("io.atrium.core.") || name.startsWith("io.atrium.spi.");
    }

    private static Optional<Class<?>> load(Bundle bundle, String name) {
        try {
            return Optional.of(bundle.loadClass(name));
        } catch (ClassNotFoundException | IllegalStateException | NoClassDefFoundError e) {
            return Optional.empty();
        }
    }
}
