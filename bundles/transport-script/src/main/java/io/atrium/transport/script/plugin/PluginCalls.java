package io.atrium.transport.script.plugin;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProperties;
import io.atrium.transport.support.JsonCodec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * A script's {@code host.call(plugin, method, …args)}: a call to another plugin through its contract, as
 * every consumer makes it (the plugin's facade: counted, timed, traced, waiting out an update), only to
 * the plugins its header's {@code calls} field names. The arguments cross as JSON to the method's
 * parameter types, the result back as JSON.
 */
public final class PluginCalls {
    private final BundleContext context;
    /** The plugins the operator lets a script call (the transport's {@code allowedCalls}, read at each call); {@code *} for any. */
    private final java.util.function.Supplier<java.util.Set<String>> allowed;

    public PluginCalls(BundleContext context, java.util.function.Supplier<java.util.Set<String>> allowed) {
        this.context = context;
        this.allowed = allowed;
    }

    /**
     * @param caller  the calling plugin
     * @param granted the plugins it may call (its header's {@code calls}; {@code *} for any)
     * @return the result as JSON
     * @throws IllegalArgumentException one line: not granted, no such plugin or method, arguments that do not fit, or the callee's failure
     */
    public JsonElement call(String caller, List<String> granted, String plugin, String method, List<JsonElement> args) {
        if (plugin.equals(caller)) {
            throw new IllegalArgumentException("host.call: a plugin does not call itself through the host (call the function directly)");
        }
        if (!granted.contains(plugin) && !granted.contains("*")) {
            throw new IllegalArgumentException("host.call: '" + plugin + "' is not granted: the header's 'calls' field lists the plugins this one may call"
                    + (granted.isEmpty() ? " (none)" : " (" + String.join(", ", granted) + ")"));
        }
        java.util.Set<String> operator = allowed.get();
        if (!operator.contains("*") && !operator.contains(plugin)) { // the operator narrowed it since the script was deployed: it bites now
            throw new IllegalArgumentException("host.call: '" + plugin + "' is not among the plugins the configuration io.atrium.script lets a "
                    + "script call (allowedCalls)");
        }
        ServiceReference<?> ref = facade(plugin);
        if (ref == null) {
            throw new IllegalArgumentException("host.call: no plugin '" + plugin + "' is running");
        }
        Object service = context.getService(ref);
        if (service == null) {
            throw new IllegalArgumentException("host.call: plugin '" + plugin + "' went away");
        }
        try {
            Method m = method(service, java.util.Arrays.asList((String[]) ref.getProperty(org.osgi.framework.Constants.OBJECTCLASS)), plugin, method,
                    args.size());
            Object[] values = new Object[args.size()];
            for (int i = 0; i < values.length; i++) {
                try {
                    values[i] = JsonCodec.result(args.get(i), m.getGenericParameterTypes()[i]);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("host.call: argument " + (i + 1) + " of " + plugin + "." + method + " is not a "
                            + m.getGenericParameterTypes()[i].getTypeName() + ": " + args.get(i));
                }
            }
            Object result;
            try {
                result = m.invoke(service, values);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                throw new IllegalArgumentException(cause instanceof PluginException ? cause.getMessage()
                        : "host.call: " + plugin + "." + method + " failed: " + cause);
            } catch (IllegalAccessException e) {
                throw new IllegalArgumentException("host.call: " + plugin + "." + method + " cannot be called: " + e.getMessage());
            }
            return m.getReturnType() == void.class || result == null ? JsonNull.INSTANCE : JsonCodec.tree(result);
        } finally {
            context.ungetService(ref);
        }
    }

    private ServiceReference<?> facade(String plugin) {
        if (!plugin.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            return null; // no plugin has such a name, and it goes into a filter
        }
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                    "(&(" + PluginProperties.FACADE + "=true)(" + PluginProperties.NAME + "=" + plugin + "))");
            return refs == null ? null : refs[0];
        } catch (InvalidSyntaxException e) {
            return null;
        }
    }

    /** @return the contract method of that name and arity the facade implements (of the interfaces it is registered as, not its own) */
    private static Method method(Object service, List<String> contracts, String plugin, String name, int arity) {
        List<String> names = new ArrayList<>();
        for (Class<?> c : service.getClass().getInterfaces()) {
            if (!contracts.contains(c.getName())) {
                continue;
            }
            for (Method m : c.getMethods()) {
                if (m.getDeclaringClass() == Object.class || m.isDefault()) {
                    continue;
                }
                if (m.getName().equals(name) && m.getParameterCount() == arity) {
                    return m;
                }
                names.add(m.getName() + "/" + m.getParameterCount());
            }
        }
        throw new IllegalArgumentException("host.call: plugin '" + plugin + "' has no method " + name + " of " + arity + " arguments (it has: "
                + String.join(", ", names) + ")");
    }
}
