package io.atrium.transport.process.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameReaderTest {
    /** Hands out its bytes a few at a time, as a pipe does. */
    static InputStream trickle(String s, int chunk) {
        return FrameReaderFuzzTest.pipe(s.getBytes(StandardCharsets.UTF_8), chunk);
    }

    @Test
    void framesSplitAcrossReadsAndLineEndsAreJoined() throws IOException {
        String text = "{\"a\":1}\r\n" + "x".repeat(20_000) + "\n{\"é\":\"ü\"}\nlast";
        for (int chunk : new int[] {1, 7, 8192, 100_000}) {
            FrameReader r = new FrameReader(trickle(text, chunk), 1 << 20);
            assertEquals("{\"a\":1}", r.next());
            assertEquals(20_000, r.next().length());
            assertEquals("{\"é\":\"ü\"}", r.next());
            assertEquals("last", r.next(), "an unterminated last line is a frame");
            assertNull(r.next());
        }
    }

    @Test
    void aFrameOverTheLimitIsRefusedBeforeItIsReadInFull() {
        FrameReader r = new FrameReader(trickle("ok\n" + "y".repeat(5000) + "\n", 100), 1000);
        assertThrows(FrameReader.FrameTooLargeException.class, () -> {
            assertEquals("ok", r.next());
            r.next();
        });
        FrameReader exact = new FrameReader(new ByteArrayInputStream(("z".repeat(1000) + "\n" + "z".repeat(1001) + "\n").getBytes()), 1000);
        assertDoesNotThrow(() -> assertEquals(1000, exact.next().length()), "a frame of exactly the limit is fine");
        assertThrows(FrameReader.FrameTooLargeException.class, exact::next, "one byte more is not, even when it arrives in one read");
    }

    @Test
    void aFrameOfTheLimitEndedByCrLfIsFineWhenTheLfComesInTheNextRead() throws IOException {
        FrameReader r = new FrameReader(trickle("abcd\r\nxy\n", 1), 4); // found by FrameReaderFuzzTest
        assertEquals("abcd", r.next());
        assertEquals("xy", r.next());
        FrameReader unterminated = new FrameReader(trickle("abcd\r", 1), 4);
        assertThrows(FrameReader.FrameTooLargeException.class, unterminated::next, "without its LF the CR is the frame's fifth byte");
    }
}
