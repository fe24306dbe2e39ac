package io.atrium.web.guard;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.Preprocessor;

/**
 * In front of every request (API, metrics, console, the preprocessors' redirects; a preprocessor of
 * the highest rank, so nothing answers before it):
 * <ul>
 * <li>a server bound to loopback answers only requests whose {@code Host} is a loopback name or its
 * own address (a page of another site that rebinds its DNS name to 127.0.0.1 would otherwise read
 * {@code /api/plugins} and {@code /metrics} from the operator's browser);</li>
 * <li>{@code TRACE} and {@code TRACK} are refused (a servlet's TRACE echoes the request, with its
 * {@code Authorization} header);</li>
 * <li>every answer says it may not be framed, sniffed or sent with a referrer, and may load nothing
 * but this server's own scripts and styles.</li>
 * </ul>
 */
@Component(service = Preprocessor.class, property = "service.ranking:Integer=1000") // before every other preprocessor, servlet and resource
public final class RequestGuard implements Preprocessor {
    /** The console's page loads its own script and style files and calls the API: nothing else, from nowhere else. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "localhost.localdomain");

    /** The bound host as the framework was told it, when it is a loopback address; else null (no Host check). */
    private final String loopbackHost;

    @Activate
    public RequestGuard(BundleContext context) {
        String host = String.valueOf(context.getProperty("org.apache.felix.http.host")).strip().toLowerCase(Locale.ROOT);
        this.loopbackHost = isLoopback(host) ? host : null;
    }

    /** Resolved, as the server binds it: a name of this machine's that means 127.0.1.1 is loopback too. */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return java.net.InetAddress.getByName(h).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false; // the server could not bind it either
        }
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Content-Security-Policy", CSP);
        response.setHeader("Referrer-Policy", "no-referrer");
        String method = request.getMethod();
        if (method.equals("OPTIONS")) { // answered here: a servlet's own answer lists TRACE
            response.setHeader("Allow", "GET, HEAD, POST, OPTIONS");
            response.setStatus(204);
            return;
        }
        if (method.equalsIgnoreCase("TRACE") || method.equalsIgnoreCase("TRACK")) {
            response.setHeader("Allow", "GET, HEAD, POST, OPTIONS");
            JsonError.send(response, 405, "method " + method + " is not served here");
            return;
        }
        String host = request.getHeader("Host");
        if (loopbackHost != null && !answersTo(host == null ? "" : host, request.getLocalPort())) {
            JsonError.send(response, 421, "this server answers to localhost, 127.0.0.1 and [::1] only, not to '"
                    + JsonError.oneLine(host) + "' (a page elsewhere may be reading it through DNS rebinding)");
            return;
        }
        chain.doFilter(req, res);
    }

    private boolean answersTo(String hostHeader, int port) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon > h.lastIndexOf(']')) { // a port: it must be the one this request came in on
            if (!h.substring(colon + 1).equals(Integer.toString(port))) {
                return false;
            }
            h = h.substring(0, colon);
        } else if (port != 80) {
            return false; // no port means 80; a browser names any other
        }
        return LOOPBACK_NAMES.contains(h) || h.equals(loopbackHost) || h.matches("127(\\.\\d{1,3}){3}");
    }
}
