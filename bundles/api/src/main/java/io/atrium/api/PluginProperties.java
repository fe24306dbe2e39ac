package io.atrium.api;

/** Service properties with which a plugin service describes itself. */
public final class PluginProperties {
    /** The plugin's name (String). Without it the component name, then the bundle symbolic name, is used. */
    public static final String NAME = "atrium.plugin.name";
    /** The plugin's version (String), when it differs from the providing bundle's version. */
    public static final String VERSION = "atrium.plugin.version";
    /**
     * The id of the transport that runs the plugin (String: lower-case letters, digits and {@code -}, e.g.
     * {@code process}, {@code wasm}, or a new transport's own); absent means {@link #IN_PROCESS}.
     */
    public static final String TRANSPORT = "atrium.plugin.transport";
    /** The transport id of a plugin that is a bundle's own service, in the server's JVM. Since 1.3. */
    public static final String IN_PROCESS = "in-process";
    /** Declared capabilities (String or String[], each {@code name} or {@code name;version=N}). */
    public static final String CAPABILITIES = "atrium.plugin.capabilities";
    /**
     * Marks the stable service the host registers in front of each plugin (Boolean {@code true}).
     * Consumers bind to it without knowing; it forwards every call to the plugin's current
     * implementation, so a plugin can be updated or restarted under its consumers.
     */
    public static final String FACADE = "atrium.facade";
    /** Where an out-of-process plugin comes from, e.g. its manifest file (String). */
    public static final String SOURCE = "atrium.plugin.source";
    /**
     * The functions an {@link Invocable} plugin declares (String or String[]): the names its calls are
     * counted, timed and traced under; a call of another name is counted under {@code call}. Since 1.3.
     */
    public static final String FUNCTIONS = "atrium.plugin.functions";
    /**
     * Boolean {@code true} on the service of a plugin whose transport hands each call's W3C trace context to the
     * plugin across its boundary (a process's or gRPC plugin's request carries it), so that the plugin's spans join
     * the host's trace and even a call that is not sampled is given trace ids; absent for a plugin whose calls stay
     * in the server's JVM (a bundle, a script, a WASM module), whose unsampled calls then cost no span. Since 1.4.
     */
    public static final String TRACE_CONTEXT = "atrium.plugin.tracecontext";

    private PluginProperties() {
    }
}
