package io.atrium.transport.grpc.goplugin;

/**
 * What hashicorp/go-plugin fixes on the wire, as its 1.0.1 (Debian's) and newer versions agree
 * (docs/grpc.md): the variables a host sets, the core protocol version, the services every gRPC plugin serves.
 */
public final class GoPlugin {
    /** The application protocol versions the host accepts, comma-separated (go-plugin reads {@code v1,v2} or {@code 1,2}). */
    public static final String PROTOCOL_VERSIONS_ENV = "PLUGIN_PROTOCOL_VERSIONS";
    /** The host's certificate (PEM), when it asks for mutual TLS. */
    public static final String CLIENT_CERT_ENV = "PLUGIN_CLIENT_CERT";
    /** The ports a plugin on Windows may listen on; set as go-plugin's host sets them. */
    public static final String MIN_PORT_ENV = "PLUGIN_MIN_PORT";
    public static final String MAX_PORT_ENV = "PLUGIN_MAX_PORT";
    /** The only core protocol version there is. */
    public static final int CORE_PROTOCOL_VERSION = 1;
    /** The health service's name a go-plugin plugin reports SERVING under. */
    public static final String HEALTH_SERVICE = "plugin";
    /** Asks the plugin to exit: {@code plugin.GRPCController/Shutdown}. */
    public static final String SHUTDOWN_METHOD = "plugin.GRPCController/Shutdown";
    /** Streams what the plugin writes to its own stdout and stderr, in go-plugin 1.1 and later. */
    public static final String STDIO_METHOD = "plugin.GRPCStdio/StreamStdio";
    /** The broker's stream (bidirectional): where each side says on which socket a service it serves for the other listens. */
    public static final String BROKER_METHOD = "plugin.GRPCBroker/StartStream";

    private GoPlugin() {
    }
}
