package io.atrium.transport.support;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A plugin's lines in the host's log, each under the plugin's name (logger {@code io.atrium.plugin.NAME}).
 * A plugin that floods is cut to {@link #LINES_PER_SECOND} lines a second, and the host says how many
 * it dropped; a long line is cut to {@link #MAX_LINE} characters. Thread-safe.
 */
public final class PluginLog {
    static final int LINES_PER_SECOND = 200;
    static final int MAX_LINE = 4096;

    private final String plugin;
    private final Logger log;
    private long windowStart;
    private int inWindow;
    private long dropped;

    public PluginLog(String plugin) {
        this.plugin = plugin;
        this.log = Logger.getLogger("io.atrium.plugin." + plugin);
    }

    /** @return the plugin's name, for messages */
    public String plugin() {
        return plugin;
    }

    /**
     * A line the plugin wrote to stderr, logged at its level.
     *
     * @return the line as logged (an hclog line's module, message and fields), for the last words shown when it dies
     */
    public String stderr(String line) {
        Line l = parse(line);
        if (admit()) {
            emit(l.level(), l.text());
        }
        return l.text();
    }

    /** A stderr line's level and text. */
    record Line(Level level, String text) {
    }

    /**
     * Reads a line's level from an hclog JSON line (go-plugin's Go plugins write them: {@code @level},
     * {@code @message}, {@code @module}, {@code @timestamp}, then the fields) or from a {@code [LEVEL]} /
     * {@code LEVEL:} prefix; INFO otherwise.
     */
    static Line parse(String line) {
        if (line.startsWith("{") && line.contains("\"@level\"")) {
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                StringBuilder text = new StringBuilder();
                if (o.has("@module") && o.get("@module").isJsonPrimitive()) {
                    text.append(o.get("@module").getAsString()).append(": ");
                }
                text.append(o.has("@message") && o.get("@message").isJsonPrimitive() ? o.get("@message").getAsString() : "");
                for (var e : o.entrySet()) {
                    if (!e.getKey().startsWith("@")) {
                        String v = e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isString()
                                ? e.getValue().getAsString() : e.getValue().toString();
                        text.append(' ').append(e.getKey()).append('=').append(v.isEmpty() || v.matches(".*\\s.*") ? quote(v) : v);
                    }
                }
                return new Line(level(o.get("@level").isJsonPrimitive() ? o.get("@level").getAsString() : ""), text.toString());
            } catch (RuntimeException notHclog) {
                return new Line(Level.INFO, line);
            }
        }
        String head = line.length() > 10 ? line.substring(0, 10).toUpperCase(Locale.ROOT) : line.toUpperCase(Locale.ROOT);
        Level level = Level.INFO;
        if (head.startsWith("[ERROR]") || head.startsWith("ERROR") || head.startsWith("FATAL") || head.startsWith("TRACEBACK")) {
            level = Level.SEVERE;
        } else if (head.startsWith("[WARN") || head.startsWith("WARN")) {
            level = Level.WARNING;
        } else if (head.startsWith("[DEBUG]") || head.startsWith("DEBUG") || head.startsWith("[TRACE]") || head.startsWith("TRACE")) {
            level = Level.FINE;
        }
        return new Line(level, line);
    }

    private static String quote(String v) {
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** A log line the plugin sent with the {@code host.log} callback. */
    public void callback(String levelName, String message) {
        if (admit()) {
            emit(level(levelName), message);
        }
    }

    /** A line the plugin printed where printing is its right (what go-plugin forwards of its stdout): at INFO. */
    public void printed(String line) {
        if (admit()) {
            emit(Level.INFO, line);
        }
    }

    /** A line on stdout that is not a protocol message: kept, but flagged, since it may be a stray print. */
    public void strayStdout(String line) {
        if (admit()) {
            emit(Level.WARNING, "wrote to stdout outside the protocol (use stderr for logs): " + line);
        }
    }

    /** @return whether a line at this level would be logged (Extism's get_log_level asks) */
    public boolean isLoggable(Level level) {
        return log.isLoggable(level);
    }

    /** Atrium's own message about the plugin. */
    public void host(Level level, String message) {
        write(level, "plugin '" + plugin + "' " + Escape.oneLine(message));
    }

    private void emit(Level level, String text) {
        String t = text.length() > MAX_LINE ? text.substring(0, MAX_LINE) + "… (" + text.length() + " characters)" : text;
        write(level, "plugin '" + plugin + "': " + Escape.oneLine(t)); // its own text: no forged lines, no terminal escapes
    }

    /**
     * Logs with the plugin's logger as the source: a record without one has its caller found by walking the
     * stack when a formatter asks (the JDK's SimpleFormatter always does), a quarter of a millisecond a line
     * while the launch path's code is not compiled yet.
     */
    private void write(Level level, String message) {
        log.logp(level, log.getName(), null, message);
    }

    private synchronized boolean admit() {
        long now = System.nanoTime();
        if (now - windowStart > 1_000_000_000L) {
            if (dropped > 0) {
                write(Level.WARNING, "plugin '" + plugin + "' logged too fast: " + dropped + " line(s) dropped");
                dropped = 0;
            }
            windowStart = now;
            inWindow = 0;
        }
        if (inWindow++ < LINES_PER_SECOND) {
            return true;
        }
        if (dropped++ == 0) {
            write(Level.WARNING, "plugin '" + plugin + "' logs too fast: lines beyond " + LINES_PER_SECOND + " a second are dropped");
        }
        return false;
    }

    private static Level level(String name) {
        return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "error", "fatal", "severe", "critical" -> Level.SEVERE;
            case "warn", "warning" -> Level.WARNING;
            case "debug" -> Level.FINE;
            case "trace" -> Level.FINER;
            default -> Level.INFO;
        };
    }
}
