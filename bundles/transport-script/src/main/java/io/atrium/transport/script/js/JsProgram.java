package io.atrium.transport.script.js;

import com.google.gson.JsonElement;
import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.manifest.ScriptManifest;
import java.util.Set;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.Function;
import org.mozilla.javascript.LambdaFunction;
import org.mozilla.javascript.NativePromise;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Undefined;
import org.mozilla.javascript.RhinoException;
import org.mozilla.javascript.ScriptableObject;

/** A JavaScript plugin loaded: its scope, with its top level run, and the functions it defined there. */
final class JsProgram implements Program {
    private final RhinoEngine engine;
    private final String file;
    private final ScriptManifest.Limits limits;
    private final ScriptableObject scope;
    private final Set<String> functions;
    private final Budget budget;
    /** Each calling thread's context for this program. */
    private final ThreadLocal<RhinoEngine.Sandboxed> contexts = new ThreadLocal<>();

    JsProgram(RhinoEngine engine, ScriptManifest m, ScriptableObject scope, Set<String> functions, Budget budget) {
        this.engine = engine;
        this.file = m.file().getFileName().toString();
        this.limits = m.limits();
        this.scope = scope;
        this.functions = functions;
        this.budget = budget;
    }

    @Override
    public Set<String> functions() {
        return functions;
    }

    @Override
    public Budget budget() {
        return budget;
    }

    /**
     * @return the value a promise the function returned was fulfilled with, once the call's jobs have run
     * @throws ScriptError it was rejected (with the reason), or it is still pending: nothing outside the call can settle it
     */
    private Object settled(Context cx, NativePromise promise, String function) {
        Object[] outcome = new Object[1];
        int[] state = {0};
        ScriptableObject.callMethod(cx, promise, "then", new Object[] {
                new LambdaFunction(scope, "fulfilled", 1, (c, s, thisObj, a) -> {
                    state[0] = 1;
                    outcome[0] = a.length > 0 ? a[0] : Undefined.instance;
                    return Undefined.instance;
                }),
                new LambdaFunction(scope, "rejected", 1, (c, s, thisObj, a) -> {
                    state[0] = 2;
                    outcome[0] = a.length > 0 ? a[0] : Undefined.instance;
                    return Undefined.instance;
                })});
        cx.processMicrotasks();
        if (state[0] == 1) {
            return outcome[0];
        }
        if (state[0] == 2) {
            throw new ScriptError(file + ": " + function + " failed: the promise it returned was rejected: " + ScriptRuntime.toString(outcome[0]));
        }
        throw new ScriptError(file + ": " + function + " returned a promise still pending once its jobs had run (nothing outside the call "
                + "settles it: there are no timers or I/O)");
    }

    @Override
    public JsonElement call(String function, Object[] args, Budget b) {
        return engine.inContext(contexts, b, limits, cx -> {
            // looked up at each call: the script may have replaced its function since
            if (!(scope.get(function, scope) instanceof Function f)) {
                throw new ScriptError(file + ": defines no function " + function + " (any more)");
            }
            Object[] in = new Object[args == null ? 0 : args.length];
            for (int i = 0; i < in.length; i++) {
                in[i] = RhinoEngine.argument(cx, scope, args[i]);
            }
            try {
                Object out = f.call(cx, scope, scope, in);
                // the promise jobs it queued run within its call and its budget, as a browser's run before its next task
                cx.processMicrotasks();
                if (out instanceof NativePromise p) {
                    out = settled(cx, p, function);
                }
                return JsValues.toJson(cx, scope, out, file, function, limits.maxStringLength(), b);
            } catch (RhinoException e) { // its own error, or one in a getter or toJSON its result ran
                throw new ScriptError(Errors.runtime(file, function, e));
            } catch (StackOverflowError e) {
                throw new ScriptError(file + ": " + function + " nested too deep for the server's stack");
            } catch (ScriptError e) {
                throw e;
            } catch (RuntimeException e) { // Rhino's own, unwrapped (a size it did not check): a failure of the call all the same
                throw new ScriptError(file + ": " + function + " failed: " + e);
            }
        });
    }
}
