package io.atrium.web.console;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.Preprocessor;

/**
 * Sends {@code /console} and {@code /console/} to the console's page. Those paths belong to the
 * console's resources, which answered them with an empty page (a folder has no content). Neither
 * an exact servlet pattern nor a filter on those paths wins over the resources' prefix pattern in
 * Felix's whiteboard (both were tried); a preprocessor sees every request before any of that.
 */
@Component(service = Preprocessor.class)
public final class ConsoleFolderRedirect implements Preprocessor {

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        String path = ((HttpServletRequest) request).getRequestURI();
        try {
            path = java.net.URI.create(path).normalize().getPath(); // /api/../console/ is /console/ to the container
        } catch (IllegalArgumentException e) {
            // not a URI: the container refuses it
        }
        if ("/console".equals(path) || "/console/".equals(path)) {
            HttpServletResponse r = (HttpServletResponse) response;
            r.setStatus(HttpServletResponse.SC_FOUND);
            r.setHeader("Location", ConsoleRedirect.PAGE); // relative: never built from the request's Host
        } else {
            chain.doFilter(request, response);
        }
    }
}
