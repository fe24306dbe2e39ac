package io.atrium.web.auth;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Requests refused for want of the token, logged at a bounded rate: the first of a window in a line
 * naming it, the rest of the window in one line counting them (with the last one named).
 */
final class RefusedRequests {
    private final Logger log;
    private final Duration window;
    private ScheduledExecutorService timer;
    private boolean open;
    private int more;
    private String last;

    RefusedRequests(Logger log, Duration window) {
        this.log = log;
        this.window = window;
    }

    synchronized void refused(String request) {
        // the request's path is the client's text: one line of it, no control or line-separator characters
        String what = request.replaceAll("[\\p{Cntrl}\\u0080-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]", "?");
        what = what.length() > 300 ? what.substring(0, 300) + "…" : what;
        if (open) {
            more++;
            last = what;
            return;
        }
        open = true;
        log.warning("refused a request without the right API token: " + what);
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "atrium-web-refusals");
                t.setDaemon(true);
                return t;
            });
        }
        timer.schedule(this::flush, window.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void flush() {
        if (more > 0) {
            log.warning("refused " + more + " more request" + (more == 1 ? "" : "s") + " without the right API token in "
                    + window.toSeconds() + " s, the last: " + last);
        }
        more = 0;
        last = null;
        open = false;
    }

    synchronized void close() {
        flush();
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
