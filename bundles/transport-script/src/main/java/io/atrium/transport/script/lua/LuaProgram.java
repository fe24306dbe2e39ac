package io.atrium.transport.script.lua;

import com.google.gson.JsonElement;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.manifest.ScriptManifest;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;

/** A Lua plugin loaded: its globals, with its chunk run, and the functions it defined there. */
final class LuaProgram implements Program {
    /** The budget of the call running on this thread, which the count hook ticks. */
    private static final ThreadLocal<Budget> RUNNING = new ThreadLocal<>();
    private static final Pattern FRAME = Pattern.compile("\\t([^\\n:\\t]++):(\\d++): in (?:function '([^'\\n]++)'|(main chunk)|function <[^>\\n]++>)");
    /** How much of an error's text is read: the script chooses its messages, and a long one is no more use. */
    private static final int MAX_MESSAGE = 4096;
    /** How many of the script's frames a message shows. */
    private static final int FRAMES = 5;

    private final String file;
    private final ScriptManifest.Limits limits;
    private final Globals globals;
    private final Budget budget;
    private volatile Set<String> functions = Set.of();
    /** The functions' names as Lua strings, made once: a call looks its function up by one. */
    private volatile java.util.Map<String, LuaValue> keys = java.util.Map.of();

    LuaProgram(ScriptManifest m, Globals globals, Budget budget) {
        this.file = m.file().getFileName().toString();
        this.limits = m.limits();
        this.globals = globals;
        this.budget = budget;
    }

    static Budget current() {
        Budget b = RUNNING.get();
        if (b == null) {
            throw new IllegalStateException("a Lua hook ran outside a call");
        }
        return b;
    }

    void functions(Set<String> f) {
        java.util.Map<String, LuaValue> k = new java.util.HashMap<>();
        f.forEach(name -> k.put(name, LuaValue.valueOf(name)));
        keys = k;
        functions = f;
    }

    @Override
    public Set<String> functions() {
        return functions;
    }

    @Override
    public Budget budget() {
        return budget;
    }

    /** Runs work with the budget ticked by the hook and the limits the shared string methods read. */
    <T> T run(Budget b, Supplier<T> work) {
        Budget outer = RUNNING.get();
        ScriptManifest.Limits outerLimits = LuaEngine.LIMITS.get();
        RUNNING.set(b == null ? budget : b);
        LuaEngine.LIMITS.set(limits);
        try {
            return work.get();
        } catch (StackOverflowError e) {
            throw new ScriptError(file + ": it nested too deep for the server's stack");
        } finally {
            RUNNING.set(outer);
            LuaEngine.LIMITS.set(outerLimits);
        }
    }

    @Override
    public JsonElement call(String function, Object[] args, Budget b) {
        // as run(b, …), written out: a call is the hot path, and its lambda an allocation per call
        Budget outer = RUNNING.get();
        ScriptManifest.Limits outerLimits = LuaEngine.LIMITS.get();
        RUNNING.set(b == null ? budget : b);
        LuaEngine.LIMITS.set(limits);
        try {
            return callHere(function, args, b);
        } catch (StackOverflowError e) {
            throw new ScriptError(file + ": it nested too deep for the server's stack");
        } finally {
            RUNNING.set(outer);
            LuaEngine.LIMITS.set(outerLimits);
        }
    }

    private JsonElement callHere(String function, Object[] args, Budget b) {
        LuaValue key = keys.get(function);
        LuaValue f = globals.get(key != null ? key : LuaValue.valueOf(function));
        if (!f.isfunction()) {
            throw new ScriptError(file + ": defines no function " + function + " (any more)");
        }
        LuaValue[] in = new LuaValue[args == null ? 0 : args.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = LuaValues.argument(args[i]);
        }
        LuaValue out;
        try {
            // the first result is the answer: LuaJ's fixed-arity calls make no Varargs for a contract's usual one to three arguments
            out = switch (in.length) {
                case 0 -> f.call();
                case 1 -> f.call(in[0]);
                case 2 -> f.call(in[0], in[1]);
                case 3 -> f.call(in[0], in[1], in[2]);
                default -> f.invoke(LuaValue.varargsOf(in)).arg1();
            };
        } catch (LuaError e) {
            throw new ScriptError(describe(file, function, e));
        } catch (RuntimeException e) { // LuaJ's own, unwrapped: a failure of the call all the same
            throw new ScriptError(file + ": " + function + " failed: " + e);
        }
        return LuaValues.toJson(out, file, function, limits, b == null ? budget : b);
    }

    /** @return e.g. {@code calc.lua:3: greet failed: attempt to index ? (a nil value) (in a function at calc.lua:3)} (LuaJ's traceback names few functions) */
    static String describe(String file, String what, LuaError e) {
        String m = String.valueOf(e.getMessage());
        if (m.length() > MAX_MESSAGE) {
            m = m.substring(0, MAX_MESSAGE) + "…";
        }
        int tb = m.indexOf("\nstack traceback:");
        String head = tb >= 0 ? m.substring(0, tb) : m; // its line breaks escaped by ScriptError, as every engine's
        String traceback = tb >= 0 ? m.substring(tb) : "";
        // LuaJ puts the place first ("calc.lua:3: ..."); the call's name goes after it
        Matcher at = Pattern.compile("^(" + Pattern.quote(file) + ":\\d+):? (.*)$", Pattern.DOTALL).matcher(head);
        String text = what == null ? head : at.matches() ? at.group(1) + ": " + what + " failed: " + at.group(2) : file + ": " + what + " failed: " + head;
        StringBuilder sb = new StringBuilder(text);
        Matcher f = FRAME.matcher(traceback);
        int n = 0;
        while (f.find()) {
            if (!f.group(1).equals(file)) {
                continue; // LuaJ's own frames (its Java functions) are not the script's
            }
            if (n == FRAMES) {
                sb.append(", …");
                break;
            }
            sb.append(n == 0 ? " (in " : ", called from ").append(f.group(3) != null ? f.group(3) : f.group(4) != null ? "the top level" : "a function")
                    .append(" at ").append(f.group(1)).append(':').append(f.group(2));
            n++;
        }
        if (n > 0) {
            sb.append(')');
        }
        return sb.toString();
    }
}
