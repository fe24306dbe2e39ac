package io.atrium.transport.process.manifest;

import io.atrium.transport.support.kit.Restart;
import com.google.gson.JsonObject;
import io.atrium.api.Capability;
import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.process.protocol.Protocol;
import io.atrium.transport.support.kit.KitManifest;
import io.atrium.transport.support.launch.LaunchFields;
import io.atrium.transport.support.launch.Launchable;
import io.atrium.transport.support.launch.Pins;
import io.atrium.transport.support.kit.ManifestBasics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A process plugin's manifest, {@code NAME.plugin.json}: what to run, which contract it implements,
 * and its limits. Parsing checks every field and fails with one line naming the file and the field.
 *
 * @param file            the manifest's path
 * @param name            the plugin's name (the file name without {@code .plugin.json} unless given)
 * @param version         the plugin's version
 * @param contract        the contract interface's fully qualified name
 * @param contractVersion the range of the contract package's versions the plugin was built for
 * @param command         the command line; the first element is the executable
 * @param mode            a long-running service, or one process per call
 * @param capabilities    what the manifest promises; the handshake must declare at least these
 * @param limits          call timeout, memory and CPU caps, frame size
 * @param restart         the supervisor's policy after crashes
 * @param env             variables set for the plugin, beside the allow-listed ones
 * @param inheritEnv      names of host variables passed on, beside the allow-listed ones
 * @param config          the plugin's configuration, answered to its {@code host.config} callback
 * @param pins            the SHA-256 (lowercase hex) each of the plugin's own files must have, by file;
 *                        checked before every launch
 * @param functions       for a plugin with no contract: the methods it may be called by (empty: any name is sent to it)
 */
public record PluginManifest(
        Path file,
        String name,
        String version,
        String contract,
        String contractVersion,
        List<String> command,
        Mode mode,
        List<Capability> capabilities,
        Limits limits,
        Restart restart,
        Map<String, String> env,
        List<String> inheritEnv,
        JsonObject config,
        Map<Path, String> pins,
        List<String> functions) implements KitManifest, Launchable {

    /** The file name suffix of process plugin manifests. */
    public static final String SUFFIX = ".plugin.json";

    /** How the executable runs. */
    public enum Mode {
        /** One long-running process answers every call (the default). */
        SERVICE,
        /** Each call runs the executable once: the request on stdin, the answer on stdout. */
        EXEC
    }

    /**
     * @param callTimeoutMs      how long a call may take before it fails as timed out
     * @param handshakeTimeoutMs how long the plugin has to announce itself after its launch
     * @param memoryMb           the data-segment cap (heap and anonymous mappings) in MiB, 0 for none
     * @param cpuSeconds         the CPU-time cap in seconds, 0 for none
     * @param maxFrameBytes      the largest message either side may send
     * @param healthIntervalMs   how often an idle plugin is pinged, 0 for never
     * @param maxInFlight        how many calls may wait for one process at once; more are refused as overloaded
     * @param warmProcesses      exec mode: how many processes are spawned ahead, each waiting for one call (0: each
     *                           call spawns its own); at most {@link #MAX_WARM}
     */
    public record Limits(long callTimeoutMs, long handshakeTimeoutMs, long memoryMb, long cpuSeconds,
                         int maxFrameBytes, long healthIntervalMs, int maxInFlight, int warmProcesses) {
        public static final Limits DEFAULTS = new Limits(5_000, 10_000, 0, 0, 4 << 20, 10_000, 256, 2);
        /** The most processes an exec-mode plugin may keep spawned ahead. */
        public static final int MAX_WARM = 8;
    }

    private static int warm(ManifestFields l, int fallback) {
        long n = l.natural("warmProcesses", fallback);
        if (n > Limits.MAX_WARM) {
            throw new IllegalArgumentException("field 'limits.warmProcesses': " + n + " is over the most, " + Limits.MAX_WARM
                    + " (each is a process waiting for a call)");
        }
        return (int) n;
    }

    private static final Set<String> FIELDS = fields();

    private static Set<String> fields() {
        Set<String> all = new java.util.HashSet<>(ManifestBasics.FIELDS);
        all.addAll(LaunchFields.FIELDS);
        all.addAll(List.of("mode", "limits", Restart.FIELD, "config"));
        return Set.copyOf(all);
    }

    /**
     * @param file    the manifest's path, for messages and to resolve the command against
     * @param content the file's bytes
     * @return the manifest
     * @throws IllegalArgumentException one line naming the field at fault
     */
    public static PluginManifest parse(Path file, byte[] content) {
        return ManifestFields.inOneLine(() -> read(file, content));
    }

    private static PluginManifest read(Path file, byte[] content) {
        ManifestFields f = ManifestFields.parse(new String(content, StandardCharsets.UTF_8),
                "{ \"version\": …, \"contract\": …, \"command\": [ … ] }");
        JsonObject o = f.o();
        LaunchFields.onlyKnown(f, FIELDS);
        ManifestBasics basics = ManifestBasics.read(file, f, SUFFIX);
        List<String> command = LaunchFields.command(f, "[\"python3\", \"greeter.py\"]");
        Mode mode = switch (f.string("mode", "service")) {
            case "service" -> Mode.SERVICE;
            case "exec" -> Mode.EXEC;
            default -> throw new IllegalArgumentException("field 'mode': '" + f.string("mode", "") + "' (expected service or exec)");
        };
        ManifestFields l = f.object("limits");
        Limits d = Limits.DEFAULTS;
        Limits limits = new Limits(l.positive("callTimeoutMs", d.callTimeoutMs()), l.positive("handshakeTimeoutMs", d.handshakeTimeoutMs()),
                l.natural("memoryMb", d.memoryMb()), l.natural("cpuSeconds", d.cpuSeconds()),
                (int) Math.min(Integer.MAX_VALUE - 16, l.positive("maxFrameBytes", d.maxFrameBytes())), l.natural("healthIntervalMs", d.healthIntervalMs()),
                (int) Math.min(1 << 20, l.positive("maxInFlight", d.maxInFlight())), warm(l, d.warmProcesses()));
        l.onlyKnown("callTimeoutMs", "handshakeTimeoutMs", "memoryMb", "cpuSeconds", "maxFrameBytes", "healthIntervalMs", "maxInFlight",
                "warmProcesses");
        Restart restart = Restart.read(f);
        Map<String, String> env = LaunchFields.env(f);
        JsonObject config = o.has("config") ? f.object("config").o() : new JsonObject();
        PluginManifest m = new PluginManifest(file, basics.name(), basics.version(), basics.contract(), basics.contractVersion(),
                command, mode, basics.capabilities(), limits, restart, env, f.strings("inheritEnv", List.of()), config, Map.of(),
                basics.functions());
        return o.has("sha256") ? m.withPins(Pins.read(o.get("sha256"), m)) : m;
    }

    private PluginManifest withPins(Map<Path, String> pins) {
        return new PluginManifest(file, name, version, contract, contractVersion, command, mode, capabilities, limits, restart, env,
                inheritEnv, config, pins, functions);
    }

    @Override
    public long callTimeoutMs() {
        return limits.callTimeoutMs();
    }

    /** @return whether the manifest pins any of its files ({@code sha256}) */
    @Override
    public boolean pinned() {
        return !pins.isEmpty();
    }

    /** @return the folder the command and relative paths are resolved against */
    @Override
    public long memoryMb() {
        return limits.memoryMb();
    }

    @Override
    public long cpuSeconds() {
        return limits.cpuSeconds();
    }

    /**
     * @param pythonHelper the folder of the server's Python helper, as the launcher keeps it
     * @return what Atrium's protocol tells a plugin in its environment (docs/protocol.md)
     */
    public Map<String, String> protocolEnv(Path pythonHelper) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put(Protocol.SDK_PYTHON_ENV, pythonHelper.toString()); // the server's own helper, not one the manifest points to
        env.put(Protocol.COOKIE_ENV, Protocol.COOKIE);
        env.put(Protocol.VERSIONS_ENV, Protocol.VERSIONS.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
        env.put(Protocol.NAME_ENV, name);
        env.put(Protocol.MODE_ENV, mode.name().toLowerCase(java.util.Locale.ROOT));
        env.put(Protocol.MAX_FRAME_ENV, Integer.toString(limits.maxFrameBytes()));
        return env;
    }

    @Override
    public Path folder() {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    /** @return the files the command names and every other pinned file: a change to one reloads the plugin */
    @Override
    public List<Path> ownFiles() {
        List<Path> own = new ArrayList<>(files());
        for (Path pinned : pins.keySet()) {
            if (!own.contains(pinned)) {
                own.add(pinned);
            }
        }
        return own;
    }
}
