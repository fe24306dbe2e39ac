package io.atrium.observability.metrics;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /metrics}: every plugin call's meters, for Prometheus to scrape. The meters are got on
 * the first scrape, not when the HTTP server takes the servlet at start-up.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/metrics")
@HttpWhiteboardServletName("atrium-metrics")
public final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient ComponentServiceObjects<CallMetrics> metrics;

    @Activate
    public MetricsServlet(@Reference ComponentServiceObjects<CallMetrics> metrics) {
        this.metrics = metrics;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        CallMetrics meters = metrics.getService();
        byte[] body;
        try {
            body = meters.scrape().getBytes(StandardCharsets.UTF_8);
        } finally {
            metrics.ungetService(meters);
        }
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
