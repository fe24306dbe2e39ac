package io.atrium.transport.script.engine;

/**
 * A script's own failure, in one line: the file and line where it happened and what its engine said, the
 * script's frames after it (none of the engine's Java frames).
 */
public final class ScriptError extends RuntimeException {
    /** @param message e.g. {@code greeter.js:3: TypeError: Cannot read property "x" from undefined (at greet greeter.js:3)} */
    public ScriptError(String message) {
        super(message, null, false, false);
    }
}
