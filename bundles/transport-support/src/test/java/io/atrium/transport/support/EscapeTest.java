package io.atrium.transport.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class EscapeTest {
    @Test
    void controlCharactersTerminalEscapesAndBidiMarksAreEscaped() {
        assertEquals("a\\nb\\r\\x1b[31m\\x9b2J\\x7f\\u202etxt.exe\\u2028", Escape.oneLine("a\nb\r\u001b[31m\u009b2J\u007f\u202etxt.exe\u2028"));
        String plain = "héllo, wörld: Привет 🙂";
        assertSame(plain, Escape.oneLine(plain), "nothing to escape: the same string");
    }

    @Test
    void whatAPluginWritesToStderrIsLoggedEscaped() {
        List<String> lines = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger("io.atrium.plugin.painter");
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        try {
            PluginLog log = new PluginLog("painter");
            log.stderr("\u001b[2J\u001b[Hall clear");
            log.stderr("{\"@level\":\"warn\",\"@message\":\"two\\nlines\"}");
            log.strayStdout("\u001b]0;title\u0007");
            assertEquals(List.of("plugin 'painter': \\x1b[2J\\x1b[Hall clear", "plugin 'painter': two\\nlines",
                    "plugin 'painter': wrote to stdout outside the protocol (use stderr for logs): \\x1b]0;title\\x07"), lines);
        } finally {
            logger.removeHandler(h);
        }
    }
}
