package io.atrium.web.guard;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** An error answer as docs/http.md promises every one: {@code {"error": "one line"}}. */
final class JsonError {
    private static final com.google.gson.Gson GSON = new com.google.gson.Gson();

    private JsonError() {
    }

    static void send(HttpServletResponse response, int status, String message) throws IOException {
        com.google.gson.JsonObject error = new com.google.gson.JsonObject();
        error.addProperty("error", message);
        byte[] body = (GSON.toJson(error) + "\n").getBytes(StandardCharsets.UTF_8); // Gson escapes <, > and & too
        response.setStatus(status);
        response.setContentType("application/json; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** A request's text in a message: one line, no control characters, bounded. */
    static String oneLine(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 200; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.toString();
    }
}
