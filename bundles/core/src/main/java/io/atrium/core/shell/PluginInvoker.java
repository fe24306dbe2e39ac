package io.atrium.core.shell;

import io.atrium.api.Invocable;
import io.atrium.core.registry.Filters;
import io.atrium.core.registry.PluginCatalog;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import io.atrium.api.PluginProperties;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Calls a contract method by name with string arguments, converted to its parameter types; or, for a plugin
 * with no contract ({@link Invocable}), a function by name with its one input.
 */
final class PluginInvoker {
    private PluginInvoker() {
    }

    static Object invoke(BundleContext context, PluginCatalog.Entry entry, String methodName, String[] args) {
        String plugin = entry.descriptor().name();
        // Through the plugin's facade, as every consumer calls it: so a call during an update waits
        // for the new version instead of failing; the plugin's own service only if there is none.
        ServiceReference<?> ref = facade(context, entry).orElse(entry.reference());
        Object service = context.getService(ref);
        if (service == null) {
            throw new CommandError("plugin '" + plugin + "' went away before it could be called");
        }
        try {
            return invoke(entry, contract(service, entry), service, methodName, args);
        } finally {
            context.ungetService(ref);
        }
    }

    /** The contract as the object called implements it: the plugin's own bundle may be mid-update (its reference gone). */
    private static Class<?> contract(Object service, PluginCatalog.Entry entry) {
        String name = entry.descriptor().contract();
        for (Class<?> c = service.getClass(); c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().equals(name)) {
                    return i;
                }
            }
        }
        throw new CommandError("plugin '" + entry.descriptor().name() + "': its contract " + name + " cannot be loaded");
    }

    private static Object invoke(PluginCatalog.Entry entry, Class<?> contract, Object service, String methodName, String[] args) {
        String plugin = entry.descriptor().name();
        if (contract.getName().equals(Invocable.class.getName())) {
            return function(plugin, contract, service, methodName, args);
        }
        List<Method> candidates = new ArrayList<>();
        for (Method m : contract.getMethods()) {
            if (m.getName().equals(methodName) && !m.isDefault() && m.getDeclaringClass() != Object.class) {
                candidates.add(m);
            }
        }
        if (candidates.isEmpty()) {
            throw new CommandError("plugin '" + plugin + "' has no method '" + methodName + "' (its contract "
                    + contract.getSimpleName() + " has: " + methodNames(contract) + ")");
        }
        String conversionError = null;
        for (Method m : candidates) {
            if (m.getParameterCount() != args.length) {
                continue;
            }
            Object[] values = new Object[args.length];
            try {
                for (int i = 0; i < args.length; i++) {
                    values[i] = ArgumentConverter.convert(args[i], m.getParameterTypes()[i]);
                }
            } catch (IllegalArgumentException e) {
                conversionError = e.getMessage();
                continue;
            }
            return call(plugin, service, m, values);
        }
        if (conversionError != null) {
            throw new CommandError("plugin '" + plugin + "' method '" + methodName + "': " + conversionError);
        }
        throw new CommandError("plugin '" + plugin + "' method '" + methodName + "' takes "
                + candidates.get(0).getParameterCount() + " argument(s), " + args.length + " given");
    }

    /** A plugin with no contract: the function named, with the one input given as it is (none: empty). */
    private static Object function(String plugin, Class<?> contract, Object service, String function, String[] args) {
        if (args.length > 1) {
            throw new CommandError("plugin '" + plugin + "' function '" + function + "' takes one input, " + args.length
                    + " given (quote it: plugin:call " + plugin + " " + function + " \"" + String.join(" ", args) + "\")");
        }
        try {
            return call(plugin, service, contract.getMethod("call", String.class, String.class), new Object[] {function, args.length == 0 ? "" : args[0]});
        } catch (NoSuchMethodException e) {
            throw new CommandError("plugin '" + plugin + "': its contract " + contract.getName() + " has no call(String, String)");
        }
    }

    private static Object call(String plugin, Object service, Method m, Object[] values) {
        try {
            return m.invoke(service, values);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof io.atrium.api.PluginException pe) { // it names the plugin; the outcome is how the metrics count it
                throw new CommandError(pe.getMessage() + " (" + io.atrium.spi.CallOutcome.of(pe).label() + ")");
            }
            throw new CommandError("plugin '" + plugin + "' failed: " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        } catch (IllegalAccessException e) {
            throw new CommandError("plugin '" + plugin + "' method '" + m.getName() + "' is not accessible");
        }
    }

    private static java.util.Optional<ServiceReference<?>> facade(BundleContext context, PluginCatalog.Entry entry) {
        String filter = "(&(" + PluginProperties.FACADE + "=true)(" + PluginProperties.NAME + "="
                + Filters.escape(entry.descriptor().name()) + "))";
        try {
            ServiceReference<?>[] refs = context.getServiceReferences(entry.descriptor().contract(), filter);
            return refs == null ? java.util.Optional.empty() : java.util.Optional.of(refs[0]);
        } catch (InvalidSyntaxException e) {
            return java.util.Optional.empty();
        }
    }

    private static String methodNames(Class<?> contract) {
        return String.join(", ", java.util.Arrays.stream(contract.getMethods())
                .filter(m -> !m.isDefault()).map(Method::getName).distinct().sorted().toList());
    }
}
