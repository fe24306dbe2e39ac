package io.atrium.web.guard;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletErrorPage;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;

/**
 * Every error the servlet container itself answers (an unknown path, a method a servlet does not
 * serve, a method nobody knows) is JSON in Atrium's words, like the API's own: not the container's
 * HTML page, which also named its internal servlets.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletErrorPage(errorPage = {"4xx", "5xx"})
@HttpWhiteboardServletName("atrium-error-pages")
public final class ErrorPages extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : response.getStatus();
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        String path = JsonError.oneLine(uri == null ? "?" : uri.toString());
        String method = JsonError.oneLine(request.getMethod());
        String message = switch (status) {
            case 404 -> "no such resource: " + path;
            case 405 -> "method " + method + " is not allowed on " + path;
            case 501 -> "method " + method + " is not implemented";
            case 400 -> "bad request for " + path;
            default -> "HTTP " + status + " for " + path;
        };
        response.resetBuffer();
        JsonError.send(response, status, message);
    }
}
