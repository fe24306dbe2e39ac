package io.atrium.transport.grpc.mapping;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A contract mapped onto a protobuf service, read from the plugin's descriptor set: each contract method
 * calls the rpc of the same name (case aside, or as the manifest maps it), its arguments filling the
 * request's fields ({@link RpcMapping}). Everything that cannot map is refused here, at deploy, in one line.
 */
public final class ServiceMapping {
    /** The largest descriptor set read: a real one is a few KiB, Google's whole API set about a MiB. */
    static final long MAX_DESCRIPTOR_SET_BYTES = 16 << 20;

    private final ServiceDescriptor service;
    private final Map<Method, RpcMapping> byMethod;
    private final Map<String, MethodDescriptor> byName;

    private ServiceMapping(ServiceDescriptor service, Map<Method, RpcMapping> byMethod) {
        this.service = service;
        this.byMethod = Map.copyOf(byMethod);
        Map<String, MethodDescriptor> names = new HashMap<>();
        for (MethodDescriptor m : service.getMethods()) {
            names.put(m.getName().toLowerCase(Locale.ROOT), m);
        }
        this.byName = Map.copyOf(names);
    }

    /**
     * @param descriptorSet the file {@code protoc --descriptor_set_out --include_imports} wrote
     * @param serviceName   the service's full name, e.g. {@code proto.KV}
     * @return the service, its file and imports linked
     * @throws IllegalArgumentException one line saying why it cannot be read or lacks the service
     */
    public static ServiceDescriptor service(Path descriptorSet, String serviceName) {
        String file = descriptorSet.getFileName().toString();
        byte[] bytes;
        try {
            if (Files.size(descriptorSet) > MAX_DESCRIPTOR_SET_BYTES) {
                throw new IllegalArgumentException("descriptor set " + file + " is over " + (MAX_DESCRIPTOR_SET_BYTES >> 20) + " MiB");
            }
            bytes = Files.readAllBytes(descriptorSet);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("descriptor set " + file + " is missing (make it with protoc --descriptor_set_out=" + file
                    + " --include_imports SERVICE.proto)");
        } catch (IOException e) {
            throw new IllegalArgumentException("descriptor set " + file + " cannot be read: " + e.getMessage());
        }
        if (bytes.length == 0) {
            throw new IllegalArgumentException("descriptor set " + file + " is empty");
        }
        FileDescriptorSet set;
        try {
            set = FileDescriptorSet.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("descriptor set " + file + " is not a protobuf descriptor set (" + e.getMessage() + ")");
        }
        if (set.getFileCount() == 0) {
            throw new IllegalArgumentException("descriptor set " + file + " describes no .proto file");
        }
        Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
        for (FileDescriptorProto p : set.getFileList()) {
            protos.put(p.getName(), p);
        }
        Map<String, FileDescriptor> built = new HashMap<>();
        List<String> services = new ArrayList<>();
        for (FileDescriptorProto p : protos.values()) {
            FileDescriptor fd = build(p, protos, built, file, 0);
            for (ServiceDescriptor s : fd.getServices()) {
                if (s.getFullName().equals(serviceName)) {
                    return s;
                }
                services.add(s.getFullName());
            }
        }
        throw new IllegalArgumentException("descriptor set " + file + " has no service " + serviceName
                + (services.isEmpty() ? " (it has no service at all)" : " (it has " + String.join(", ", services) + ")"));
    }

    private static FileDescriptor build(FileDescriptorProto p, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> built,
                                        String file, int depth) {
        FileDescriptor done = built.get(p.getName());
        if (done != null) {
            return done;
        }
        if (depth > 64) {
            throw new IllegalArgumentException("descriptor set " + file + ": imports nest deeper than 64 files (a cycle?)");
        }
        FileDescriptor[] deps = new FileDescriptor[p.getDependencyCount()];
        for (int i = 0; i < deps.length; i++) {
            FileDescriptorProto dep = protos.get(p.getDependency(i));
            if (dep == null) {
                throw new IllegalArgumentException("descriptor set " + file + " lacks " + p.getDependency(i) + ", which " + p.getName()
                        + " imports (make it with --include_imports)");
            }
            deps[i] = build(dep, protos, built, file, depth + 1);
        }
        try {
            FileDescriptor fd = FileDescriptor.buildFrom(p, deps);
            built.put(p.getName(), fd);
            return fd;
        } catch (DescriptorValidationException e) {
            throw new IllegalArgumentException("descriptor set " + file + ": " + p.getName() + " is invalid: " + e.getDescription());
        }
    }

    /**
     * @param contract the contract interface; for a plugin without one ({@link io.atrium.api.Invocable}), null
     * @param renames  contract method names mapped to rpc names (the manifest's {@code methods})
     * @return the mapping of every abstract method of the contract
     * @throws IllegalArgumentException one line naming the method and the rpc that do not fit
     */
    public static ServiceMapping of(ServiceDescriptor service, Class<?> contract, Map<String, String> renames) {
        Map<Method, RpcMapping> mapped = new HashMap<>();
        if (contract != null) {
            for (String renamed : renames.keySet()) {
                if (java.util.Arrays.stream(contract.getMethods()).noneMatch(m -> m.getName().equals(renamed))) {
                    throw new IllegalArgumentException("field 'methods': " + contract.getName() + " has no method " + renamed);
                }
            }
            for (Method m : contract.getMethods()) {
                if (!Modifier.isAbstract(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
                    continue;
                }
                String rpcName = renames.getOrDefault(m.getName(), m.getName());
                MethodDescriptor rpc = service.getMethods().stream().filter(r -> r.getName().equalsIgnoreCase(rpcName)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(contract.getSimpleName() + "." + m.getName() + " has no rpc in "
                                + service.getFullName() + " (it has " + service.getMethods().stream().map(MethodDescriptor::getName).toList()
                                + "; map it in the manifest's \"methods\")"));
                mapped.put(m, RpcMapping.of(m, rpc));
            }
        }
        return new ServiceMapping(service, mapped);
    }

    /** @return the contract's methods that take a callback, as {@code Type.method} */
    public List<String> withCallbacks() {
        return byMethod.entrySet().stream().filter(e -> e.getValue().hasCallbacks())
                .map(e -> e.getKey().getDeclaringClass().getSimpleName() + "." + e.getKey().getName()).sorted().toList();
    }

    /** @return the service */
    public ServiceDescriptor service() {
        return service;
    }

    /** @return how a contract method is called */
    public RpcMapping of(Method method) {
        return byMethod.get(method);
    }

    /** @return the rpc a by-name call names (case aside), or null */
    public MethodDescriptor rpc(String function) {
        return byName.get(function.toLowerCase(Locale.ROOT));
    }

    /** @return the rpcs a by-name call may name */
    public List<String> rpcNames() {
        return service.getMethods().stream().map(MethodDescriptor::getName).toList();
    }
}
