package io.atrium.transport.grpc.goplugin;

import java.util.List;

/**
 * The line a go-plugin plugin writes first on stdout, {@code CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT},
 * e.g. {@code 1|1|unix|/tmp/plugin3315254612|grpc|}: the protocol versions, where it listens, how it
 * speaks, and with mutual TLS its certificate (DER, base64 without padding).
 *
 * @param appVersion  the application protocol version it chose, one of those the host offered
 * @param network     {@code unix} or {@code tcp}
 * @param address     a socket path, or {@code host:port}
 * @param certificate its server certificate, or null without mutual TLS
 */
public record Handshake(int appVersion, String network, String address, String certificate) {
    /** go-plugin's own bound on the line (bufio.Scanner's default token). */
    public static final int MAX_LINE = 64 * 1024;

    /**
     * @param line     the first line of the plugin's stdout
     * @param accepted the application protocol versions the host offered
     * @return the handshake, checked as go-plugin's host checks it
     * @throws IllegalArgumentException one line saying what is wrong with it
     */
    public static Handshake parse(String line, List<Integer> accepted) {
        String t = line.strip();
        String[] f = t.split("\\|", -1);
        if (f.length < 4) {
            throw new IllegalArgumentException("sent a malformed handshake line " + quote(t)
                    + " (expected CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT, as go-plugin writes it)");
        }
        int core = number(f[0], "core protocol version", t);
        if (core != GoPlugin.CORE_PROTOCOL_VERSION) {
            throw new IllegalArgumentException("speaks go-plugin core protocol version " + core + "; this host speaks version "
                    + GoPlugin.CORE_PROTOCOL_VERSION);
        }
        int app = number(f[1], "application protocol version", t);
        if (!accepted.contains(app)) {
            throw new IllegalArgumentException("chose application protocol version " + app + ", which the manifest does not accept "
                    + "(handshake.protocolVersions: " + accepted + ")");
        }
        String network = f[2];
        if (!network.equals("unix") && !network.equals("tcp")) {
            throw new IllegalArgumentException("listens on network '" + network + "' (expected unix or tcp)");
        }
        String address = f[3];
        if (address.isEmpty()) {
            throw new IllegalArgumentException("sent a handshake without an address: " + quote(t));
        }
        String protocol = f.length > 4 && !f[4].isEmpty() ? f[4] : "netrpc";
        if (protocol.equals("netrpc")) {
            throw new IllegalArgumentException("speaks go-plugin's net/rpc protocol; only gRPC plugins can run here "
                    + "(the plugin's ServeConfig needs GRPCServer: plugin.DefaultGRPCServer)");
        }
        if (!protocol.equals("grpc")) {
            throw new IllegalArgumentException("speaks protocol '" + protocol + "' (expected grpc)");
        }
        String cert = f.length > 5 && f[5].length() > 50 ? f[5] : null; // go-plugin's host ignores a shorter one too
        return new Handshake(app, network, address, cert);
    }

    private static int number(String s, String what, String line) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sent a handshake whose " + what + " is not a number: " + quote(line));
        }
    }

    /** The line as it came, cut short and with control characters shown, for a one-line message. */
    static String quote(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        StringBuilder b = new StringBuilder("'");
        cut.codePoints().forEach(c -> b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : new String(Character.toChars(c))));
        return b.append('\'').toString();
    }
}
