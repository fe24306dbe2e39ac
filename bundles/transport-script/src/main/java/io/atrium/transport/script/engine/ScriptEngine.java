package io.atrium.transport.script.engine;

import io.atrium.transport.script.manifest.ScriptManifest;

/** A language's interpreter, inside the sandbox: it loads scripts into {@link Program}s. */
public interface ScriptEngine {
    /** @return what it is, for plugin:info, e.g. {@code Rhino 1.9.2 (JavaScript, interpreted)} */
    String describe();

    /**
     * Parses the script and runs its top level under the budget.
     *
     * @param m      the script and its limits
     * @param host   the script's {@code host} object's side in the server
     * @param budget its top level's budget, started by the caller; kept for its calls
     * @return the program
     * @throws ScriptError     it does not parse, or its top level failed: file, line, column and the parser's message
     * @throws Budget.Exceeded its top level spent the budget
     */
    Program load(ScriptManifest m, ScriptHost host, Budget budget);
}
