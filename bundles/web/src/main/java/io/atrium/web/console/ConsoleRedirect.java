package io.atrium.web.console;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * Sends {@code /} to the console's page. Registered as the default servlet ({@code /}), which sees
 * every request no other servlet or resource matches: anything else is a 404. ({@code /console}
 * and {@code /console/} belong to the console's resources: {@link ConsoleFolderRedirect} sends those.)
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
@HttpWhiteboardServletName("atrium-console-redirect")
public final class ConsoleRedirect extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String PAGE = "/console/index.html";

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI();
        if (path.equals("/")) {
            response.sendRedirect(PAGE);
        } else {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
        }
    }
}
