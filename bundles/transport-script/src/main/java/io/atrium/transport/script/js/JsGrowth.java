package io.atrium.transport.script.js;

import org.mozilla.javascript.Context;
import org.mozilla.javascript.ScriptRuntime;

/**
 * The check Rhino's string concatenation calls at its entry, woven into Rhino's {@code ConsString} when this
 * bundle is built (the build's StringGrowthGuard): every {@code +} and template literal of two strings is
 * bounded by the running call's {@code limits.maxStringLength} before the rope is made, not when it is
 * flattened, which copies it in one piece (thirty doublings are gigabytes between two ticks of the budget).
 * Outside a sandboxed context nothing is bounded here.
 */
public final class JsGrowth {
    private JsGrowth() {
    }

    /**
     * @param a characters of the left side
     * @param b characters of the right side
     * @throws org.mozilla.javascript.EcmaError a RangeError (the script's to catch: nothing was made) when the sum is over the limit
     */
    public static void check(int a, int b) {
        long n = (long) a + b;
        if (Context.getCurrentContext() instanceof RhinoEngine.Sandboxed s && n > s.maxStringLength) {
            throw ScriptRuntime.rangeError("+ would make a string of " + n + " characters, over limits.maxStringLength (" + s.maxStringLength + ")");
        }
    }
}
