package io.atrium.transport.process.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads newline-terminated frames from a stream, refusing any frame longer than a limit before it is
 * held in memory in full. Not thread-safe: one reader thread per stream.
 */
public final class FrameReader {
    /** A frame longer than the limit: the stream cannot be trusted after it. */
    public static final class FrameTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        FrameTooLargeException(int limit) {
            super("sent a frame larger than the limit of " + limit + " bytes");
        }
    }

    private final InputStream in;
    private final int limit;
    private byte[] buf = new byte[8192];
    private int start;
    private int end;

    public FrameReader(InputStream in, int limit) {
        this.in = in;
        this.limit = limit;
    }

    /**
     * @return the next frame without its line end, or null at the end of the stream (an unterminated
     *         last line is returned as a frame)
     * @throws FrameTooLargeException when a frame exceeds the limit
     */
    public String next() throws IOException {
        int scanned = start;
        while (true) {
            for (int i = scanned; i < end; i++) {
                if (buf[i] == '\n') {
                    int len = i - start;
                    if (len > 0 && buf[i - 1] == '\r') {
                        len--;
                    }
                    if (len > limit) {
                        throw new FrameTooLargeException(limit);
                    }
                    String frame = new String(buf, start, len, StandardCharsets.UTF_8);
                    start = i + 1;
                    return frame;
                }
            }
            // a frame of the limit may stand with its CR while its LF is still to come
            if (end - start > limit + 1 || (end - start == limit + 1 && buf[end - 1] != '\r')) {
                throw new FrameTooLargeException(limit);
            }
            scanned = end;
            if (end == buf.length) {
                if (start > 0) { // make room by moving the partial frame to the front
                    System.arraycopy(buf, start, buf, 0, end - start);
                    scanned -= start;
                    end -= start;
                    start = 0;
                } else {
                    buf = Arrays.copyOf(buf, Math.min(buf.length * 2, limit + 2));
                }
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) {
                if (end - start > limit) {
                    throw new FrameTooLargeException(limit);
                }
                if (end > start) {
                    String rest = new String(buf, start, end - start, StandardCharsets.UTF_8);
                    start = end;
                    return rest;
                }
                return null;
            }
            end += n;
        }
    }
}
