package io.atrium.transport.grpc.manifest;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.api.Capability;
import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.kit.KitManifest;
import io.atrium.transport.support.kit.ManifestBasics;
import io.atrium.transport.support.kit.Restart;
import io.atrium.transport.support.launch.LaunchFields;
import io.atrium.transport.support.launch.Launchable;
import io.atrium.transport.support.launch.Pins;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A gRPC plugin's manifest, {@code NAME.grpc.json}: the executable, go-plugin's handshake as the plugin's
 * Go host would configure it, the contract, and the plugin's protobuf services as a descriptor set
 * beside it ({@code protoc --descriptor_set_out=kv.protoset --include_imports kv.proto}).
 *
 * <pre>{@code
 * { "version": "1.0.0", "contract": "io.example.kv.KV", "command": ["./kv-plugin"],
 *   "handshake": {"magicCookieKey": "BASIC_PLUGIN", "magicCookieValue": "hello", "protocolVersions": [1]},
 *   "descriptorSet": "kv.protoset", "service": "proto.KV" }
 * }</pre>
 *
 * @param service the protobuf service's full name the contract maps onto
 * @param methods contract method names mapped to rpc names where they differ by more than case
 */
public record GrpcManifest(
        Path file,
        String name,
        String version,
        String contract,
        String contractVersion,
        List<String> command,
        GoHandshake handshake,
        Path descriptorSet,
        String service,
        Map<String, String> methods,
        List<Capability> capabilities,
        Limits limits,
        Restart restart,
        Map<String, String> env,
        List<String> inheritEnv,
        Map<Path, String> pins,
        List<String> functions) implements KitManifest, Launchable {

    /** The file name suffix of gRPC plugin manifests. */
    public static final String SUFFIX = ".grpc.json";

    /**
     * go-plugin's {@code HandshakeConfig}, as the plugin was built for.
     *
     * @param cookieKey        the magic cookie's variable ({@code MagicCookieKey})
     * @param cookieValue      its value ({@code MagicCookieValue})
     * @param protocolVersions the application protocol versions the host accepts ({@code ProtocolVersion},
     *                         or the keys of {@code VersionedPlugins})
     * @param autoMtls         whether the host asks for mutual TLS as go-plugin's {@code AutoMTLS} does
     */
    public record GoHandshake(String cookieKey, String cookieValue, List<Integer> protocolVersions, boolean autoMtls) {
    }

    /**
     * @param callTimeoutMs      how long a call may take before it fails as timed out
     * @param handshakeTimeoutMs how long the plugin has to write its handshake line after its launch
     * @param memoryMb           the cap on its data segment, 0 for none
     * @param cpuSeconds         the cap on its CPU time, 0 for none
     * @param maxMessageBytes    the largest response the host accepts
     * @param healthIntervalMs   how often go-plugin's health service is asked, 0 for never
     */
    public record Limits(long callTimeoutMs, long handshakeTimeoutMs, long memoryMb, long cpuSeconds, int maxMessageBytes,
                         long healthIntervalMs) {
        public static final Limits DEFAULTS = new Limits(5_000, 10_000, 0, 0, 4 << 20, 10_000);
    }

    private static final Set<String> FIELDS = fields();

    private static Set<String> fields() {
        Set<String> all = new HashSet<>(ManifestBasics.FIELDS);
        all.addAll(LaunchFields.FIELDS);
        all.addAll(List.of("handshake", "descriptorSet", "service", "methods", "limits", Restart.FIELD));
        return Set.copyOf(all);
    }

    /**
     * @param file    the manifest's path, for messages and to resolve the command and the descriptor set against
     * @param content the file's bytes
     * @return the manifest
     * @throws IllegalArgumentException one line naming the field at fault
     */
    public static GrpcManifest parse(Path file, byte[] content) {
        return ManifestFields.inOneLine(() -> read(file, content));
    }

    private static GrpcManifest read(Path file, byte[] content) {
        ManifestFields f = ManifestFields.parse(new String(content, StandardCharsets.UTF_8),
                "{ \"version\": …, \"contract\": …, \"command\": [ … ], \"handshake\": { … }, \"descriptorSet\": …, \"service\": … }");
        JsonObject o = f.o();
        LaunchFields.onlyKnown(f, FIELDS);
        ManifestBasics basics = ManifestBasics.read(file, f, SUFFIX);
        List<String> command = LaunchFields.command(f, "[\"./kv-plugin\"]");
        if (!o.has("handshake")) {
            throw new IllegalArgumentException("field 'handshake': missing; expected go-plugin's HandshakeConfig, e.g. "
                    + "{\"magicCookieKey\": \"BASIC_PLUGIN\", \"magicCookieValue\": \"hello\", \"protocolVersions\": [1]}");
        }
        ManifestFields h = f.object("handshake");
        h.onlyKnown("magicCookieKey", "magicCookieValue", "protocolVersions", "autoMTLS");
        String cookieKey = h.required("magicCookieKey");
        if (!cookieKey.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("field 'handshake.magicCookieKey': '" + cookieKey + "' is not an environment variable's name");
        }
        GoHandshake handshake = new GoHandshake(cookieKey, h.required("magicCookieValue"), versions(h), h.bool("autoMTLS", false));
        String descriptors = f.required("descriptorSet");
        Path descriptorSet = folder(file).resolve(descriptors).normalize();
        if (!descriptorSet.startsWith(folder(file))) {
            throw new IllegalArgumentException("field 'descriptorSet': '" + descriptors + "' is outside the plugin's folder");
        }
        String service = f.required("service");
        if (!ManifestFields.isQualifiedName(service)) {
            throw new IllegalArgumentException("field 'service': '" + service + "' is not a protobuf service's full name (e.g. proto.KV)");
        }
        Map<String, String> methods = new LinkedHashMap<>();
        ManifestFields m = f.object("methods");
        for (String k : m.o().keySet()) {
            methods.put(k, m.string(k, ""));
        }
        ManifestFields l = f.object("limits");
        Limits d = Limits.DEFAULTS;
        Limits limits = new Limits(l.positive("callTimeoutMs", d.callTimeoutMs()), l.positive("handshakeTimeoutMs", d.handshakeTimeoutMs()),
                l.natural("memoryMb", d.memoryMb()), l.natural("cpuSeconds", d.cpuSeconds()),
                (int) Math.min(Integer.MAX_VALUE - 16, l.positive("maxMessageBytes", d.maxMessageBytes())),
                l.natural("healthIntervalMs", d.healthIntervalMs()));
        l.onlyKnown("callTimeoutMs", "handshakeTimeoutMs", "memoryMb", "cpuSeconds", "maxMessageBytes", "healthIntervalMs");
        Map<String, String> env = LaunchFields.env(f);
        GrpcManifest g = new GrpcManifest(file, basics.name(), basics.version(), basics.contract(), basics.contractVersion(),
                command, handshake, descriptorSet, service, Map.copyOf(methods), basics.capabilities(), limits, Restart.read(f),
                Map.copyOf(env), f.strings("inheritEnv", List.of()), Map.of(), basics.functions());
        return o.has("sha256") ? g.withPins(Pins.read(o.get("sha256"), g)) : g;
    }

    private static List<Integer> versions(ManifestFields h) {
        JsonElement v = h.o().get("protocolVersions");
        if (v == null) {
            return List.of(1);
        }
        List<Integer> out = new ArrayList<>();
        if (v.isJsonArray() && !v.getAsJsonArray().isEmpty()) {
            for (JsonElement x : v.getAsJsonArray()) {
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() != Math.rint(x.getAsDouble())
                        || x.getAsDouble() < 1 || x.getAsDouble() > Integer.MAX_VALUE) {
                    out = null;
                    break;
                }
                out.add(x.getAsInt());
            }
        } else {
            out = null;
        }
        if (out == null) {
            throw new IllegalArgumentException("field 'handshake.protocolVersions': expected an array of whole numbers > 0, found " + v);
        }
        return List.copyOf(out);
    }

    private static Path folder(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    private GrpcManifest withPins(Map<Path, String> pins) {
        return new GrpcManifest(file, name, version, contract, contractVersion, command, handshake, descriptorSet, service, methods,
                capabilities, limits, restart, env, inheritEnv, pins, functions);
    }

    @Override
    public long callTimeoutMs() {
        return limits.callTimeoutMs();
    }

    @Override
    public boolean pinned() {
        return !pins.isEmpty();
    }

    @Override
    public long memoryMb() {
        return limits.memoryMb();
    }

    @Override
    public long cpuSeconds() {
        return limits.cpuSeconds();
    }

    @Override
    public Path folder() {
        return folder(file);
    }

    /** @return the files the command names, the descriptor set and every other pinned file: a change to one reloads the plugin */
    @Override
    public List<Path> ownFiles() {
        List<Path> own = new ArrayList<>(files());
        own.add(descriptorSet);
        for (Path pinned : pins.keySet()) {
            if (!own.contains(pinned)) {
                own.add(pinned);
            }
        }
        return own;
    }
}
