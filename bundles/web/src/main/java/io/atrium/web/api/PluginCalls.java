package io.atrium.web.api;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import io.atrium.api.Invocable;
import io.atrium.api.PluginException;
import io.atrium.spi.CallOutcome;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A contract method called over HTTP: JSON arguments bound to its parameters (a 400 names the
 * parameter that does not fit), the call made through the plugin's facade like any consumer's, the
 * result as JSON, and a plugin's failure mapped to a status by its outcome.
 */
final class PluginCalls {
    private final Gson gson = StrictJson.gson();

    /**
     * @param plugin   the plugin's name
     * @param facade   the plugin's service object
     * @param contract the contract interface's name
     * @param name     the method's name
     * @param body     the request body: a JSON array of the arguments (empty: none)
     * @return the method's result as JSON
     */
    JsonElement call(String plugin, Object facade, String contract, String name, String body) {
        Class<?> type = contractOf(facade, contract);
        if (type.getName().equals(Invocable.class.getName())) {
            return function(plugin, type, facade, name, body);
        }
        List<Method> named = Arrays.stream(type.getMethods()).filter(m -> m.getName().equals(name)).toList();
        if (named.isEmpty()) {
            String all = Arrays.stream(type.getMethods()).map(Method::getName).distinct().sorted().collect(Collectors.joining(", "));
            throw new ApiError(404, "plugin '" + plugin + "' (" + type.getSimpleName() + ") has no method '" + name + "' (it has: " + all + ")");
        }
        JsonArray args = StrictJson.arguments(body);
        Method method = named.stream().filter(m -> m.getParameterCount() == args.size()).findFirst()
                .orElseThrow(() -> new ApiError(400, name + " takes " + named.stream().map(PluginCalls::signature)
                        .collect(Collectors.joining(" or ")) + ", got " + args.size() + " argument" + (args.size() == 1 ? "" : "s")));
        Object[] values = new Object[args.size()];
        Parameter[] params = method.getParameters();
        for (int i = 0; i < values.length; i++) {
            values[i] = bind(args.get(i), params[i], i);
        }
        Object result;
        try {
            result = method.invoke(facade, values);
        } catch (InvocationTargetException e) {
            throw failed(plugin, e.getCause());
        } catch (IllegalAccessException e) {
            throw new ApiError(500, "cannot call " + name + ": " + e.getMessage());
        }
        return gson.toJsonTree(result);
    }

    /**
     * A plugin with no contract: the function named, the body its input as it is; the result its output, as the
     * JSON value it is, or as a string when it is not JSON (an Extism module's text) or nests too deep.
     */
    private static JsonElement function(String plugin, Class<?> type, Object facade, String function, String body) {
        Object output;
        try {
            output = type.getMethod("call", String.class, String.class).invoke(facade, function, body);
        } catch (InvocationTargetException e) {
            throw failed(plugin, e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new ApiError(500, "cannot call " + function + ": " + e.getMessage());
        }
        String text = String.valueOf(output);
        if (StrictJson.tooDeep(text)) {
            return new com.google.gson.JsonPrimitive(text); // as JSON, rendering it would overflow the stack
        }
        try {
            return StrictJson.parse(text);
        } catch (ApiError notJson) {
            return new com.google.gson.JsonPrimitive(text);
        }
    }

    private static Class<?> contractOf(Object facade, String contract) {
        for (Class<?> c : facade.getClass().getInterfaces()) {
            if (c.getName().equals(contract)) {
                return c;
            }
        }
        throw new ApiError(500, "the plugin's service does not implement " + contract);
    }

    private Object bind(JsonElement value, Parameter p, int index) {
        String what = "parameter " + (index + 1) + " (" + p.getType().getSimpleName() + " " + p.getName() + ")";
        if (value.isJsonNull()) {
            if (p.getType().isPrimitive()) {
                throw new ApiError(400, what + " cannot be null");
            }
            return null;
        }
        try {
            return StrictJson.bind(gson, value, p.getParameterizedType());
        } catch (JsonParseException | IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new ApiError(400, what + ": " + firstLine(e));
        }
    }

    private static String signature(Method m) {
        return m.getParameterCount() + " argument" + (m.getParameterCount() == 1 ? "" : "s") + " ("
                + Arrays.stream(m.getParameters()).map(p -> p.getType().getSimpleName() + " " + p.getName())
                        .collect(Collectors.joining(", ")) + ")";
    }

    /** The HTTP status of a plugin's failure, by the outcome the metrics count it as. */
    static ApiError failed(String plugin, Throwable failure) {
        CallOutcome outcome = CallOutcome.of(failure);
        int status = switch (outcome) {
            case TIMEOUT -> 504;
            case CRASH -> 502;
            case UNAVAILABLE -> 503;
            case REJECTED -> 400;
            default -> 500;
        };
        String message = failure instanceof PluginException ? failure.getMessage()
                : "plugin '" + plugin + "' threw " + failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        return new ApiError(status, message, outcome.label());
    }

    private static String firstLine(Exception e) {
        Throwable t = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("java.") ? e.getCause() : e;
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
