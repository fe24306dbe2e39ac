package io.atrium.runtime;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Records what Atrium and its plugins log (logger {@code io.atrium} and below), as "LEVEL message" lines. */
final class LogCapture extends Handler implements AutoCloseable {
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger("io.atrium"); // held: JUL keeps loggers weakly

    LogCapture() {
        logger.addHandler(this);
    }

    /** @return whether some line contains the fragment */
    boolean contains(String fragment) {
        return lines.stream().anyMatch(l -> l.contains(fragment));
    }

    @Override
    public void publish(LogRecord r) {
        lines.add(r.getLevel() + " " + r.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
