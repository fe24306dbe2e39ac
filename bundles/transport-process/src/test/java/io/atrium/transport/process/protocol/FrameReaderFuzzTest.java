package io.atrium.transport.process.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plugin controls every byte of its stdout and how the pipe splits it. Whatever it sends, the reader
 * gives exactly the frames a plain split on newlines gives, never one longer than the limit, and refuses
 * the first frame over the limit.
 */
class FrameReaderFuzzTest {

    @FuzzTest
    void framesAreTheLinesAndNoneIsOverTheLimit(FuzzedDataProvider data) throws IOException {
        int limit = data.consumeInt(1, 300);
        int chunk = data.consumeInt(1, 64);
        byte[] stream = data.consumeRemainingAsBytes();

        FrameReader reader = new FrameReader(pipe(stream, chunk), limit);
        for (byte[] line : lines(stream)) {
            if (line.length > limit) {
                assertThrows(FrameReader.FrameTooLargeException.class, reader::next, "a frame of " + line.length + " bytes");
                return;
            }
            String frame = reader.next();
            assertEquals(new String(line, StandardCharsets.UTF_8), frame);
            assertTrue(frame.length() <= limit);
        }
        assertNull(reader.next(), "nothing after the last frame");
    }

    /** The model: split at each newline, a CR before it dropped; an unterminated last line is a frame as it is. */
    static List<byte[]> lines(byte[] stream) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < stream.length; i++) {
            if (stream[i] == '\n') {
                int end = i > start && stream[i - 1] == '\r' ? i - 1 : i;
                lines.add(Arrays.copyOfRange(stream, start, end));
                start = i + 1;
            }
        }
        if (start < stream.length) {
            lines.add(Arrays.copyOfRange(stream, start, stream.length));
        }
        return lines;
    }

    /** Hands out at most {@code chunk} bytes a read, as a pipe may. */
    static InputStream pipe(byte[] b, int chunk) {
        return new InputStream() {
            int pos;

            @Override
            public int read() {
                return pos < b.length ? b[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] out, int off, int len) {
                if (pos >= b.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, chunk), b.length - pos);
                System.arraycopy(b, pos, out, off, n);
                pos += n;
                return n;
            }
        };
    }
}
