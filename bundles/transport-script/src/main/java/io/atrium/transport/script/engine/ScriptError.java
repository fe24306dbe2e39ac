package io.atrium.transport.script.engine;

import io.atrium.transport.support.Escape;

/**
 * A script's own failure, in one line: the file and line where it happened and what its engine said, the
 * script's frames after it (none of the engine's Java frames). The script chooses what it throws, so the
 * text is made one line (its breaks and terminal escapes escaped) and cut to {@value #MAX_LENGTH}
 * characters, here, for every engine and every place it is shown.
 */
public final class ScriptError extends RuntimeException {
    /** The longest message: a script's text past it is no more use to whoever reads it. */
    public static final int MAX_LENGTH = 4096;

    /** @param message e.g. {@code greeter.js:3: TypeError: Cannot read property "x" from undefined (in greet at greeter.js:3)} */
    public ScriptError(String message) {
        super(shown(message), null, false, false);
    }

    private static String shown(String message) {
        String m = String.valueOf(message);
        // cut before escaping, so that a long text is not copied whole to be escaped
        String cut = m.length() > MAX_LENGTH ? m.substring(0, MAX_LENGTH) + "… (" + m.length() + " characters)" : m;
        return Escape.oneLine(cut);
    }
}
