package io.atrium.transport.process.protocol;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.api.Capability;
import io.atrium.transport.support.ManifestFields;
import java.util.ArrayList;
import java.util.List;

/**
 * What a plugin announces in its first line: protocol version, name, version, contract and
 * capabilities, with the cookie echoed back.
 *
 * @param protocol     the protocol version it speaks
 * @param name         its name
 * @param version      its version, or null when it leaves the manifest's
 * @param contract     the contract interface it implements, or null when it announces none (a plugin with no contract)
 * @param capabilities what it supports
 */
public record Handshake(int protocol, String name, String version, String contract, List<Capability> capabilities) {

    /**
     * @param line the first line the plugin wrote to stdout, or null when it wrote none
     * @return the handshake
     * @throws IllegalArgumentException with a one-line reason (the host refuses the plugin with it)
     */
    public static Handshake parse(String line) {
        return ManifestFields.inOneLine(() -> read(line));
    }

    private static Handshake read(String line) {
        if (line == null) {
            throw new IllegalArgumentException("closed its stdout without a handshake");
        }
        JsonObject msg = Messages.object(line);
        if (msg == null) {
            throw new IllegalArgumentException("sent " + Messages.quote(line) + " instead of the handshake");
        }
        if (!Protocol.HANDSHAKE.equals(Messages.string(msg, "method")) || !msg.has("params") || !msg.get("params").isJsonObject()) {
            throw new IllegalArgumentException("sent " + Messages.quote(line) + " instead of the handshake (method "
                    + Protocol.HANDSHAKE + " with an object of params)");
        }
        JsonObject p = msg.getAsJsonObject("params");
        String cookie = Messages.string(p, "cookie");
        if (cookie == null) {
            throw new IllegalArgumentException("sent a handshake without the cookie: it was not written for Atrium, or ignores "
                    + Protocol.COOKIE_ENV);
        }
        if (!cookie.equals(Protocol.COOKIE)) {
            throw new IllegalArgumentException("sent a handshake with the wrong cookie " + Messages.quote(cookie));
        }
        int protocol;
        try {
            protocol = p.get("protocol").getAsInt();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("sent a handshake without a protocol version");
        }
        if (!Protocol.VERSIONS.contains(protocol)) {
            throw new IllegalArgumentException("speaks protocol version " + protocol + "; this host speaks " + Protocol.VERSIONS);
        }
        String contract = Messages.string(p, "contract"); // none: a plugin with no contract (the host checks its manifest says so)
        List<Capability> caps = new ArrayList<>();
        JsonElement c = p.get("capabilities");
        if (c != null && c.isJsonArray()) {
            for (JsonElement e : (JsonArray) c) {
                try {
                    caps.add(Capability.parse(e.getAsString()));
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException("declared a bad capability " + e + ": " + ex.getMessage());
                }
            }
        } else if (c != null && !c.isJsonNull()) {
            throw new IllegalArgumentException("sent capabilities that are not an array of strings: " + c);
        }
        return new Handshake(protocol, Messages.string(p, "name"), Messages.string(p, "version"), contract, caps);
    }
}
