package io.atrium.transport.script.js;

import org.mozilla.javascript.BaseFunction;
import org.mozilla.javascript.Function;
import org.mozilla.javascript.LambdaFunction;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.Undefined;

/**
 * The caps a script's scope gets before its code runs: the built-in functions that make a long string in
 * one instruction (where the budget's tick cannot see it) are asked first how long it would be, and
 * refuse with a RangeError beyond {@code limits.maxStringLength}; typed arrays, whose buffers are
 * allocated whole in one instruction, are not there at all.
 */
final class Caps {
    /** What an element of an array adds to a join, when it is no string: a number's longest form. */
    private static final int NON_STRING = 24;

    private Caps() {
    }

    private interface Length {
        long of(Scriptable thisObj, Object[] args);
    }

    static void install(ScriptableObject scope, int maxStringLength) {
        Scriptable string = ScriptableObject.getClassPrototype(scope, "String");
        cap(scope, string, "repeat", maxStringLength, (self, args) -> {
            double count = args.length > 0 ? ScriptRuntime.toInteger(args[0]) : 0;
            return (long) Math.min(Long.MAX_VALUE, count * ScriptRuntime.toString(self).length());
        });
        Length padded = (self, args) -> args.length > 0 ? (long) Math.min(Long.MAX_VALUE, ScriptRuntime.toInteger(args[0])) : 0;
        cap(scope, string, "padStart", maxStringLength, padded);
        cap(scope, string, "padEnd", maxStringLength, padded);
        Scriptable array = ScriptableObject.getClassPrototype(scope, "Array");
        cap(scope, array, "join", maxStringLength, (self, args) -> {
            long n = ScriptRuntime.toUint32(ScriptableObject.getProperty(self, "length"));
            String sep = args.length > 0 && !(args[0] instanceof Undefined) ? ScriptRuntime.toString(args[0]) : ",";
            long total = Math.max(0, n - 1) * sep.length();
            if (total > maxStringLength || n > maxStringLength) {
                return Math.max(total, n);
            }
            for (int i = 0; i < n && total <= maxStringLength; i++) {
                Object e = ScriptableObject.getProperty(self, i);
                total += e instanceof CharSequence s ? s.length() : e == Scriptable.NOT_FOUND || e == null || e instanceof Undefined ? 0 : NON_STRING;
            }
            return total;
        });
        for (String typed : new String[] {"ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray",
                "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"}) {
            scope.delete(typed);
        }
    }

    private static void cap(ScriptableObject scope, Scriptable prototype, String name, int max, Length length) {
        Object found = ScriptableObject.getProperty(prototype, name);
        if (!(found instanceof Function original)) {
            return;
        }
        int arity = original instanceof BaseFunction b ? b.getArity() : 1;
        LambdaFunction capped = new LambdaFunction(scope, name, arity, (cx, s, self, args) -> {
            long n = length.of(self, args);
            if (n > max) {
                throw ScriptRuntime.rangeError(name + " would make a string of " + n + " characters, over limits.maxStringLength (" + max + ")");
            }
            return original.call(cx, s, self, args);
        });
        ScriptableObject.defineProperty(prototype, name, capped, ScriptableObject.DONTENUM);
    }
}
