package io.atrium.transport.script.js;

import org.mozilla.javascript.RhinoException;
import org.mozilla.javascript.ScriptStackElement;

/** Rhino's errors as one line: the script's file and line, the engine's words, the script's frames (none of Rhino's own). */
final class Errors {
    /** How many of the script's frames a message shows. */
    private static final int FRAMES = 5;

    private Errors() {
    }

    /** @return e.g. {@code greeter.js:3:14: missing ; before statement} */
    static String compile(String file, RhinoException e) {
        String at = file + ":" + e.lineNumber() + (e.columnNumber() > 0 ? ":" + e.columnNumber() : "");
        return at + ": " + e.details();
    }

    /** @return e.g. {@code greeter.js:3: TypeError: Cannot read property "x" from undefined (in greet at greeter.js:3, called from main at greeter.js:9)} */
    static String runtime(String file, String what, RhinoException e) {
        StringBuilder sb = new StringBuilder();
        sb.append(e.lineNumber() > 0 ? file + ":" + e.lineNumber() : file).append(": ").append(what).append(" failed: ").append(e.details());
        ScriptStackElement[] stack = e.getScriptStack();
        if (stack.length > 0) {
            sb.append(" (");
            int shown = Math.min(FRAMES, stack.length);
            for (int i = 0; i < shown; i++) {
                ScriptStackElement f = stack[i];
                sb.append(i == 0 ? "in " : ", called from ").append(f.functionName == null ? "the top level" : f.functionName)
                        .append(" at ").append(f.fileName).append(':').append(f.lineNumber);
            }
            if (stack.length > shown) {
                sb.append(", and ").append(stack.length - shown).append(" frames more");
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
