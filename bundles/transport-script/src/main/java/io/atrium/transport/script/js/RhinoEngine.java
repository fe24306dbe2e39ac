package io.atrium.transport.script.js;

import com.google.gson.JsonElement;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptEngine;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.engine.ScriptHost;
import io.atrium.transport.script.manifest.ScriptManifest;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.ContextFactory;
import org.mozilla.javascript.Function;
import org.mozilla.javascript.LambdaFunction;
import org.mozilla.javascript.NativeObject;
import org.mozilla.javascript.RhinoException;
import org.mozilla.javascript.Script;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;

/**
 * JavaScript on Rhino, interpreted, in a sandbox: each script has its own scope of the safe standard
 * objects (no {@code Packages}, {@code java}, {@code JavaAdapter} or {@code getClass}), a class shutter
 * that refuses every Java class, and the {@code host} object built of JavaScript functions (never a
 * wrapped Java object). Interpreted rather than compiled to bytecode: no classes are made per script
 * (a reload leaves nothing behind in the JVM), its stack depth is counted by the interpreter, and the
 * instruction observer that enforces the budget sees every instruction.
 */
public final class RhinoEngine implements ScriptEngine {
    private final SandboxFactory factory = new SandboxFactory();


    /** A context that carries the budget of the call it runs. */
    static final class Sandboxed extends Context {
        Budget budget;
        /** The running program's limits.maxStringLength, which {@link JsGrowth} bounds every concatenation by. */
        int maxStringLength = Integer.MAX_VALUE;

        Sandboxed(ContextFactory factory) {
            super(factory);
        }
    }

    /** Makes the sandbox's contexts and ticks their budget every {@link Budget#TICK_INSTRUCTIONS} instructions. */
    static final class SandboxFactory extends ContextFactory {
        @Override
        protected Context makeContext() {
            Sandboxed cx = new Sandboxed(this);
            cx.setInterpretedMode(true);
            cx.setLanguageVersion(Context.VERSION_ES6);
            cx.setInstructionObserverThreshold(Budget.TICK_INSTRUCTIONS);
            cx.setClassShutter(javaClass -> false);
            return cx;
        }

        @Override
        protected boolean hasFeature(Context cx, int feature) {
            if (feature == Context.FEATURE_E4X || feature == Context.FEATURE_ENHANCED_JAVA_ACCESS
                    || feature == Context.FEATURE_ENABLE_JAVA_MAP_ACCESS || feature == Context.FEATURE_JAVA_SERIALIZATION) {
                return false;
            }
            if (feature == Context.FEATURE_LOCATION_INFORMATION_IN_ERROR) {
                return true;
            }
            return super.hasFeature(cx, feature);
        }

        @Override
        protected void observeInstructionCount(Context cx, int instructionCount) {
            Budget b = ((Sandboxed) cx).budget;
            if (b != null) {
                b.tick();
            }
        }
    }

    @Override
    public String describe() {
        return "Rhino " + io.atrium.transport.script.engine.EngineVersions.of("rhino") + " (JavaScript, interpreted)";
    }

    @Override
    public Program load(ScriptManifest m, ScriptHost host, Budget budget) {
        io.atrium.transport.script.engine.Woven.require("Rhino", org.mozilla.javascript.ConsString.class);
        String file = m.file().getFileName().toString();
        return inContext(budget, m.limits(), cx -> {
            ScriptableObject scope = cx.initSafeStandardObjects(null, false);
            scope.delete("Continuation"); // Rhino's own extension, not ECMAScript: nothing a plugin needs
            Caps.install(scope, m.limits().maxStringLength(), m.limits().maxArrayLength());
            scope.defineProperty("host", hostObject(cx, scope, host, file, m.limits().maxStringLength()), ScriptableObject.READONLY | ScriptableObject.PERMANENT | ScriptableObject.DONTENUM);
            Script script;
            try {
                script = cx.compileString(m.source(), file, 1, null);
            } catch (RhinoException e) {
                throw new ScriptError(Errors.compile(file, e));
            } catch (StackOverflowError e) {
                throw new ScriptError(file + ": does not compile: an expression nests too deep for the server's stack");
            } catch (RuntimeException e) {
                throw new ScriptError(file + ": does not compile: " + e);
            }
            try {
                script.exec(cx, scope, scope);
                cx.processMicrotasks(); // the promise jobs the top level queued, under the load's budget
            } catch (RhinoException e) {
                throw new ScriptError(Errors.runtime(file, "its top level", e));
            } catch (StackOverflowError e) {
                throw new ScriptError(file + ": its top level nested too deep for the server's stack");
            } catch (RuntimeException e) {
                throw new ScriptError(file + ": its top level failed: " + e);
            }
            Set<String> functions = new LinkedHashSet<>();
            for (Object id : scope.getIds()) {
                if (id instanceof String name && scope.get(name, scope) instanceof Function) {
                    functions.add(name);
                }
            }
            return new JsProgram(this, m, scope, Set.copyOf(functions), budget);
        });
    }

    /** The script's {@code host}: {@code log(level, message)}, {@code config} (read live) and {@code call(plugin, method, …args)}. */
    private static NativeObject hostObject(Context cx, ScriptableObject scope, ScriptHost host, String file, int maxString) {
        NativeObject o = (NativeObject) cx.newObject(scope);
        o.defineProperty("log", new LambdaFunction(scope, "log", 2, (lcx, s, thisObj, args) -> {
            String level = args.length > 1 ? ScriptRuntime.toString(args[0]) : "info";
            String message = ScriptRuntime.toString(args.length > 1 ? args[1] : args.length == 1 ? args[0] : "");
            host.log(level, message);
            return org.mozilla.javascript.Undefined.instance;
        }), ScriptableObject.READONLY | ScriptableObject.PERMANENT);
        o.defineProperty("call", new LambdaFunction(scope, "call", 2, (lcx, s, thisObj, args) -> {
            if (args.length < 2) {
                throw ScriptRuntime.constructError("Error", "host.call(plugin, method, …args) takes a plugin's name and a method's");
            }
            java.util.List<com.google.gson.JsonElement> in = new java.util.ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                in.add(JsValues.toJson(lcx, scope, args[i], file, "host.call", maxString, ((Sandboxed) lcx).budget));
            }
            String plugin = ScriptRuntime.toString(args[0]);
            String method = ScriptRuntime.toString(args[1]);
            com.google.gson.JsonElement result = null;
            String refused = null;
            // the plugin called gets a context of its own, not this one (its RegExp statics, its stack depth)
            Context.exit();
            try {
                result = host.call(plugin, method, in);
            } catch (IllegalArgumentException e) {
                refused = e.getMessage();
            } finally {
                lcx.getFactory().enterContext(lcx);
            }
            if (refused != null) {
                throw ScriptRuntime.constructError("Error", refused);
            }
            return JsValues.toJs(lcx, scope, result);
        }), ScriptableObject.READONLY | ScriptableObject.PERMANENT);
        Supplier<Object> config = () -> JsValues.toJs(Context.getCurrentContext(), scope, host.config());
        o.defineProperty("config", config, null, ScriptableObject.READONLY | ScriptableObject.PERMANENT);
        o.preventExtensions();
        return o;
    }

    /** As {@link #inContext(ThreadLocal, Budget, ScriptManifest.Limits, java.util.function.Function)} in a new context. */
    <T> T inContext(Budget budget, ScriptManifest.Limits limits, java.util.function.Function<Context, T> work) {
        return inContext(null, budget, limits, work);
    }

    /**
     * Work in a context of the sandbox with the thread's context class loader this bundle's (Rhino finds its
     * RegExp through it).
     *
     * @param kept each thread's context for one program, kept between its calls (entering one again costs a
     *             thread-local write, making one a dozen objects); one program's, so that nothing one plugin leaves
     *             in a context (its RegExp statics) reaches another; null for a new context
     */
    <T> T inContext(ThreadLocal<Sandboxed> kept, Budget budget, ScriptManifest.Limits limits, java.util.function.Function<Context, T> work) {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(RhinoEngine.class.getClassLoader());
        Sandboxed cx;
        boolean none = Context.getCurrentContext() == null; // else a context this thread is in already, which is not this program's to keep
        Sandboxed mine = kept != null && none ? kept.get() : null;
        if (mine != null) {
            cx = (Sandboxed) factory.enterContext(mine);
        } else {
            cx = (Sandboxed) factory.enterContext();
            if (kept != null && none) {
                kept.set(cx);
            }
        }
        Budget outer = cx.budget;
        int outerStrings = cx.maxStringLength;
        try {
            cx.budget = budget;
            cx.maxStringLength = limits.maxStringLength();
            if (cx.getMaximumInterpreterStackDepth() != limits.maxStackDepth()) {
                cx.setMaximumInterpreterStackDepth(limits.maxStackDepth());
            }
            return work.apply(cx);
        } catch (RuntimeException | Error e) {
            if (kept != null && none) {
                kept.remove(); // a failed call may have left promise jobs queued in its context: the next call gets a fresh one
            }
            throw e;
        } finally {
            cx.budget = outer;
            cx.maxStringLength = outerStrings;
            Context.exit();
            t.setContextClassLoader(before);
        }
    }

    /** @return a JSON value the script gets as an argument */
    static Object argument(Context cx, Scriptable scope, Object a) {
        if (a instanceof JsonElement e) {
            return JsValues.toJs(cx, scope, e);
        }
        return a;
    }
}
