package io.atrium.transport.process.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.gson.JsonObject;
import io.atrium.api.PluginException;
import io.atrium.transport.process.protocol.FrameReader;
import io.atrium.transport.process.protocol.Messages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * What the host makes of a running plugin's stdout, frame by frame, as PluginProcess and ExecRunner read it:
 * a frame is a JSON object or malformed, an answer's id is the whole number it says, and an answer is a
 * result or the plugin's error as a PluginException. Nothing a plugin sends breaks the host's reader.
 */
class IncomingFramesFuzzTest {

    @DictionaryEntries({"\"jsonrpc\"", "\"2.0\"", "\"id\"", "\"method\"", "\"params\"", "\"result\"", "\"error\"", "\"code\"",
            "\"message\"", "-32001", "-32002", "\"host.log\"", "\"host.config\"", "\"level\""})
    @FuzzTest
    void anyStdoutIsReadFrameByFrame(byte[] stdout) throws IOException {
        FrameReader frames = new FrameReader(new ByteArrayInputStream(stdout), 1 << 16);
        String line;
        while ((line = readOrNull(frames)) != null) {
            String quoted = Messages.quote(line);
            assertFalse(quoted.contains("\n") || quoted.contains("\r"), quoted);
            JsonObject msg = Messages.object(line.strip());
            if (msg == null) {
                continue;
            }
            Messages.string(msg, "method");
            Long id = Messages.answerId(msg);
            if (id != null) {
                assertEquals(0, new BigDecimal(msg.get("id").getAsString()).compareTo(BigDecimal.valueOf(id)),
                        () -> "the id " + msg.get("id") + " read as " + id);
            }
            try {
                Invoker.resultOf("fuzz", "call " + id, msg);
            } catch (PluginException e) {
                assertNotNull(e.getMessage());
            }
        }
    }

    private static String readOrNull(FrameReader frames) throws IOException {
        try {
            return frames.next();
        } catch (FrameReader.FrameTooLargeException e) {
            return null;
        }
    }
}
