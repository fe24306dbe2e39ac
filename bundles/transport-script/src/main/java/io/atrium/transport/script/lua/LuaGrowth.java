package io.atrium.transport.script.lua;

import io.atrium.transport.script.manifest.ScriptManifest;
import org.luaj.vm2.LuaError;

/**
 * The check LuaJ's string growth calls at its entry, woven into LuaJ's classes when this bundle is built
 * (the build's StringGrowthGuard): a {@code ..} of two strings ({@code LuaString.concatTo}) and a chain of them
 * ({@code Buffer.realloc}) are bounded by the running call's {@code limits.maxStringLength} before the copy is
 * made. Outside a script's call (LuaJ's own compiler reading a source) nothing is bounded here.
 */
public final class LuaGrowth {
    private LuaGrowth() {
    }

    /**
     * @param a bytes of one side (or the buffer's new size)
     * @param b bytes of the other (or 0)
     * @throws LuaError (a script's error, which {@code pcall} may catch: nothing was made) when the sum is over the limit
     */
    public static void check(int a, int b) {
        ScriptManifest.Limits l = LuaEngine.LIMITS.get();
        long n = (long) a + b;
        if (l != null && n > l.maxStringLength()) {
            throw new LuaError(".. would make a string of " + n + " bytes, over limits.maxStringLength (" + l.maxStringLength() + ")");
        }
    }
}
