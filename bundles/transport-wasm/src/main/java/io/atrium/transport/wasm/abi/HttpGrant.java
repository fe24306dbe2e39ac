package io.atrium.transport.wasm.abi;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Extism's {@code http_request}, done by the host for the hosts a plugin's manifest grants: a name,
 * {@code *.suffix} for its subdomains, or {@code *}. Anything else is refused before a connection is
 * made; the response body is cut at the plugin's limit.
 */
public final class HttpGrant {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build(); // a redirect could leave the granted hosts
    private final List<String> hosts;
    private final long maxResponseBytes;

    /** The status and body of one response. */
    record Response(int status, byte[] body) {
    }

    public HttpGrant(List<String> hosts, long maxResponseBytes) {
        this.hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.maxResponseBytes = maxResponseBytes;
    }

    boolean allows(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        for (String pattern : hosts) {
            if (pattern.equals("*") || pattern.equals(h) || pattern.startsWith("*.") && h.endsWith(pattern.substring(1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param requestJson Extism's request: {@code {"url": …, "method": …, "headers": {…}}}
     * @param body        the request body, or null
     */
    Response send(String requestJson, byte[] body) {
        JsonObject req;
        URI uri;
        try {
            req = JsonParser.parseString(requestJson).getAsJsonObject();
            uri = URI.create(req.get("url").getAsString());
        } catch (RuntimeException e) {
            throw new ExtismKernel.AbiException("http_request: not a request with a url: " + requestJson);
        }
        if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new ExtismKernel.AbiException("http_request: " + uri + " is not an http(s) URL");
        }
        if (!allows(uri.getHost())) {
            throw new ExtismKernel.AbiException("http_request: " + uri.getHost() + " is not among the plugin's allowedHosts "
                    + (hosts.isEmpty() ? "(none)" : hosts));
        }
        String method = req.has("method") ? req.get("method").getAsString().toUpperCase(Locale.ROOT) : "GET";
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (req.has("headers") && req.get("headers").isJsonObject()) {
            for (var h : req.getAsJsonObject("headers").entrySet()) {
                JsonElement v = h.getValue();
                b.header(h.getKey(), v.isJsonPrimitive() ? v.getAsString() : v.toString());
            }
        }
        try {
            HttpResponse<InputStream> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxResponseBytes + 1));
                if (bytes.length > maxResponseBytes) {
                    throw new ExtismKernel.AbiException("http_request: the response from " + uri.getHost() + " is over the limit of "
                            + maxResponseBytes + " bytes");
                }
                return new Response(r.statusCode(), bytes);
            }
        } catch (IOException e) {
            throw new ExtismKernel.AbiException("http_request to " + uri + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the call's deadline: the watchdog's interrupt stays set for the caller to see
            throw new ExtismKernel.AbiException("http_request to " + uri + " was stopped by the call's deadline");
        }
    }
}
