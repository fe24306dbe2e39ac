package io.atrium.transport.process.protocol;

import java.util.List;

/** The protocol's fixed names and numbers, as docs/protocol.md gives them. */
public final class Protocol {
    /** Environment variable carrying {@link #COOKIE}: a plugin started without it is not started by Atrium. */
    public static final String COOKIE_ENV = "ATRIUM_PLUGIN_COOKIE";
    /**
     * The magic cookie. Not a secret: it tells a plugin that Atrium launched it, and tells Atrium
     * (echoed in the handshake) that the executable speaks this protocol.
     */
    public static final String COOKIE = "atrium-plugin-7f3c9b2e";
    /** Environment variable listing the protocol versions the host speaks, comma-separated. */
    public static final String VERSIONS_ENV = "ATRIUM_PROTOCOL_VERSIONS";
    /** Environment variable with the plugin's name from its manifest. */
    public static final String NAME_ENV = "ATRIUM_PLUGIN_NAME";
    /** Environment variable with the plugin's mode: {@code service}, or {@code exec} (no handshake, one call, then exit). */
    public static final String MODE_ENV = "ATRIUM_PLUGIN_MODE";
    /** Environment variable with the largest frame, in bytes, the host accepts. */
    public static final String MAX_FRAME_ENV = "ATRIUM_MAX_FRAME_BYTES";
    /** Environment variable with the server's distribution folder (its sdk/ holds the helpers), when it has one. */
    public static final String HOME_ENV = "ATRIUM_HOME";
    /** Environment variable with the folder of the server's verified copy of the Python helper ({@code atrium_plugin.py}). */
    public static final String SDK_PYTHON_ENV = "ATRIUM_SDK_PYTHON";
    /**
     * Environment variable marking one launch of a plugin: every process the plugin starts inherits it, and
     * the host ends every process carrying it when the plugin's process ends (docs/protocol.md, section 5).
     */
    public static final String INSTANCE_ENV = io.atrium.transport.support.launch.Launcher.INSTANCE_ENV;
    /** The protocol versions this host speaks. */
    public static final List<Integer> VERSIONS = List.of(1);

    /** Plugin to host, the first line on stdout. */
    public static final String HANDSHAKE = "atrium.handshake";
    /** Host to plugin: are you alive? Any answer will do. */
    public static final String PING = "atrium.ping";
    /** Host to plugin: finish what you are doing and exit. */
    public static final String SHUTDOWN = "atrium.shutdown";
    /** Plugin to host: write a line to the host's log under the plugin's name. */
    public static final String LOG = "host.log";
    /** Plugin to host: the plugin's configuration, a JSON object. */
    public static final String CONFIG = "host.config";

    /** JSON-RPC's error code the host answers unknown callbacks with; the others plugins send are in docs/protocol.md. */
    public static final int METHOD_NOT_FOUND = -32601;
    /** The call's deadline passed before the plugin finished it. */
    public static final int DEADLINE_EXCEEDED = -32001;
    /** The plugin refuses the call (overloaded, shutting down). */
    public static final int UNAVAILABLE = -32002;

    private Protocol() {
    }
}
