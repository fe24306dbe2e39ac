package io.atrium.transport.script.engine;

import com.google.gson.JsonElement;
import java.util.Set;

/**
 * A script loaded by its engine: its top level has run, its functions are defined. Calls run one at a
 * time (the caller holds the plugin's lock), as a script's own language runs them: no two calls share its
 * globals at once.
 */
public interface Program {
    /** @return the names of its top-level functions */
    Set<String> functions();

    /**
     * Calls a top-level function.
     *
     * @param function the function's name
     * @param args     each a String, Boolean, Number, null or {@link JsonElement} (anything else went through JSON before)
     * @param budget   what the call may spend, started by the caller
     * @return what it returned, as JSON
     * @throws ScriptError     the script failed: its message names the file, line and what went wrong
     * @throws Budget.Exceeded it spent its budget
     */
    JsonElement call(String function, Object[] args, Budget budget);

    /** @return the budget calls to it tick, for a stop to cancel */
    Budget budget();
}
