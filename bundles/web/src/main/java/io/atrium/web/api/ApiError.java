package io.atrium.web.api;

/** A request the API refuses: an HTTP status and a one-line reason, sent as {@code {"error": …}}. */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String outcome;

    ApiError(int status, String message) {
        this(status, message, null);
    }

    /** @param outcome a plugin call's outcome label when the plugin failed the call, else null */
    ApiError(int status, String message, String outcome) {
        super(message, null, false, false);
        this.status = status;
        this.outcome = outcome;
    }
}
