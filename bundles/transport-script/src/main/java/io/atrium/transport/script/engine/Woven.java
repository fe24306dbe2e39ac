package io.atrium.transport.script.engine;

/**
 * Whether the engines' classes here carry the string-growth check this bundle's build weaves into them (see
 * {@code io.atrium.transport.script.lua.LuaGrowth} and {@code …js.JsGrowth}): an engine without it is not run,
 * since a script could then take the server's memory between two ticks of its budget.
 */
public final class Woven {
    /** The field the weaving step adds to each class it weaves. */
    static final String MARK = "ATRIUM_STRING_GROWTH_GUARD";

    private Woven() {
    }

    /**
     * @param engine the engine's name, for the message
     * @throws ScriptError naming the class that was not woven: the script is not deployed
     */
    public static void require(String engine, Class<?>... classes) {
        for (Class<?> c : classes) {
            try {
                c.getField(MARK);
            } catch (NoSuchFieldException e) {
                throw new ScriptError(engine + " was built without the string-growth guard (" + c.getName() + " is not woven: "
                        + "this bundle's build weaves it at process-classes); its scripts are not run");
            }
        }
    }
}
