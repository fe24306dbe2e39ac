package io.atrium.transport.grpc.mapping;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A callback a contract method takes (an interface argument, such as go-plugin's bidirectional example's
 * {@code AddHelper}) mapped onto the protobuf service of the same name in the descriptor set: the plugin
 * calls it back through go-plugin's broker while the call runs. The request field it fills is the broker's
 * id ({@code uint32}, e.g. {@code add_server}); each of the interface's methods is served as the rpc of its
 * name (case aside), the request's fields its arguments (in order, or by name), its result the response's
 * only field (or nothing, for an empty response). What cannot map is refused at deploy, in one line.
 */
public final class CallbackMapping {
    /** One method served as one rpc. */
    private record Served(Method method, FieldDescriptor[] arguments, FieldDescriptor result) {
    }

    private final Class<?> type;
    private final ServiceDescriptor service;
    private final Map<String, Served> byRpc;

    private CallbackMapping(Class<?> type, ServiceDescriptor service, Map<String, Served> byRpc) {
        this.type = type;
        this.service = service;
        this.byRpc = Map.copyOf(byRpc);
    }

    /**
     * @return whether an argument of this type, filling this field, is a callback: an interface that is not a collection
     *         or a JDK type, on a {@code uint32} field (the broker's id). An interface on any other field is a value, read
     *         through protobuf's JSON mapping as a record or class is (a sealed interface of records on a message field).
     */
    static boolean isCallback(Class<?> t, FieldDescriptor field) {
        return t.isInterface() && !Collection.class.isAssignableFrom(t) && !Map.class.isAssignableFrom(t) && !t.getName().startsWith("java.")
                && !field.isRepeated() && field.getType() == FieldDescriptor.Type.UINT32;
    }

    /**
     * @param where    the contract method and its rpc, for messages
     * @param argument the argument's position, from 1
     * @param field    the request field it fills: the broker's id
     * @param file     the rpc's .proto file: the callback's service is in it or in what it imports
     * @throws IllegalArgumentException one line naming the argument, the service and what does not fit
     */
    static CallbackMapping of(String where, int argument, Class<?> type, FieldDescriptor field, FileDescriptor file) {
        String arg = where + ": argument " + argument + " (" + type.getSimpleName() + ", a callback)";
        List<ServiceDescriptor> services = services(file);
        ServiceDescriptor service = services.stream().filter(s -> s.getName().equalsIgnoreCase(type.getSimpleName())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(arg + ": the descriptor set has no service " + type.getSimpleName()
                        + " to serve it as (it has " + services.stream().map(ServiceDescriptor::getFullName).toList() + ")"));
        Map<String, Served> byRpc = new HashMap<>();
        for (Method m : type.getMethods()) {
            if (!Modifier.isAbstract(m.getModifiers())) {
                continue;
            }
            String at = type.getSimpleName() + "." + m.getName() + " → ";
            MethodDescriptor rpc = service.getMethods().stream().filter(r -> r.getName().equalsIgnoreCase(m.getName())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(arg + ": " + type.getSimpleName() + "." + m.getName() + " has no rpc in "
                            + service.getFullName() + " (it has " + service.getMethods().stream().map(MethodDescriptor::getName).toList() + ")"));
            at += rpc.getFullName();
            if (rpc.isClientStreaming() || rpc.isServerStreaming()) {
                throw new IllegalArgumentException(arg + ": " + at + " is a streaming rpc (only unary rpcs map)");
            }
            byRpc.put(rpc.getName(), served(arg + ": " + at, m, rpc));
        }
        if (byRpc.isEmpty()) {
            throw new IllegalArgumentException(arg + ": " + type.getSimpleName() + " has no method to serve");
        }
        return new CallbackMapping(type, service, byRpc);
    }

    private static Served served(String where, Method m, MethodDescriptor rpc) {
        Descriptor request = rpc.getInputType();
        Parameter[] params = m.getParameters();
        if (params.length > request.getFields().size()) {
            throw new IllegalArgumentException(where + ": the method takes " + params.length + " arguments, the request "
                    + request.getFullName() + " has " + request.getFields().size() + " fields");
        }
        boolean byName = params.length > 0;
        for (int i = 0; i < params.length && byName; i++) {
            byName = params[i].isNamePresent() && RpcMapping.field(request, params[i].getName()) != null;
        }
        FieldDescriptor[] args = new FieldDescriptor[params.length];
        for (int i = 0; i < params.length; i++) {
            args[i] = byName ? RpcMapping.field(request, params[i].getName()) : request.getFields().get(i);
            String problem = RpcMapping.fits(params[i].getType(), args[i]);
            if (problem != null) {
                throw new IllegalArgumentException(where + ": argument " + (i + 1) + " (" + params[i].getType().getSimpleName()
                        + ") cannot be read from field '" + args[i].getName() + "' (" + RpcMapping.typeName(args[i]) + "): " + problem);
            }
        }
        Descriptor response = rpc.getOutputType();
        FieldDescriptor result = null;
        if (m.getReturnType() != void.class) {
            if (response.getFields().size() != 1 || RpcMapping.fits(m.getReturnType(), response.getFields().get(0)) != null) {
                throw new IllegalArgumentException(where + ": the method returns " + m.getReturnType().getSimpleName() + ", but the response "
                        + response.getFullName() + " is not one field of that type (it has " + response.getFields().stream()
                        .map(f -> f.getName() + " " + RpcMapping.typeName(f)).toList() + ")");
            }
            result = response.getFields().get(0);
        }
        return new Served(m, args, result);
    }

    /** @return the services of the file and of every file it imports, the file's first */
    private static List<ServiceDescriptor> services(FileDescriptor file) {
        List<ServiceDescriptor> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Deque<FileDescriptor> todo = new ArrayDeque<>(List.of(file));
        while (!todo.isEmpty()) {
            FileDescriptor f = todo.removeFirst();
            if (seen.add(f.getName())) {
                found.addAll(f.getServices());
                todo.addAll(f.getDependencies());
            }
        }
        return found;
    }

    /** @return the callback's interface */
    public Class<?> type() {
        return type;
    }

    /** @return the service it is served as */
    public ServiceDescriptor service() {
        return service;
    }

    /**
     * Calls the callback for one request of one of its rpcs.
     *
     * @return the response
     * @throws IllegalArgumentException the request does not fit the method
     * @throws RuntimeException         what the callback threw (its checked exceptions wrapped)
     */
    public DynamicMessage invoke(Object implementation, MethodDescriptor rpc, DynamicMessage request) {
        Served s = byRpc.get(rpc.getName());
        if (s == null) {
            throw new IllegalArgumentException(type.getSimpleName() + " serves no rpc " + rpc.getName());
        }
        Object[] args = new Object[s.arguments().length];
        for (int i = 0; i < args.length; i++) {
            args[i] = RpcMapping.read(request, s.arguments()[i], s.method().getGenericParameterTypes()[i]);
        }
        Object result;
        try {
            result = s.method().invoke(implementation, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(String.valueOf(cause), cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(type.getSimpleName() + "." + s.method().getName() + " cannot be called: " + e.getMessage(), e);
        }
        DynamicMessage.Builder b = DynamicMessage.newBuilder(rpc.getOutputType());
        if (s.result() != null && result != null) {
            RpcMapping.set(b, s.result(), result);
        }
        return b.build();
    }
}
