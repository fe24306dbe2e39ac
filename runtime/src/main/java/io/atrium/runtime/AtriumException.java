package io.atrium.runtime;

/** Atrium could not start or stop: a bad folder, a busy data folder, a framework failure. The message is one line. */
public class AtriumException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AtriumException(String message) {
        super(message);
    }

    public AtriumException(String message, Throwable cause) {
        super(message, cause);
    }
}
