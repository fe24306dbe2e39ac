package io.atrium.transport.script.js;

import org.mozilla.javascript.BaseFunction;
import org.mozilla.javascript.Function;
import org.mozilla.javascript.LambdaFunction;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.Undefined;

/**
 * The caps a script's scope gets before its code runs. The built-in functions that loop in Java, where
 * the budget's tick cannot see them, are asked first how much they would do, and refuse with a
 * RangeError beyond the limits: those that build a long string ({@code limits.maxStringLength}), those
 * that walk an array's length, which can be 2^53 with nothing in it ({@code limits.maxArrayLength}),
 * those that spread arguments, and plain searches of a string in a string (the product of the lengths).
 * Typed arrays, whose buffers are allocated whole in one instruction, are not there at all.
 */
final class Caps {
    /** What an element of an array adds to a join, when it is no string: a number's longest form. */
    private static final int NON_STRING = 24;

    private Caps() {
    }

    private interface Length {
        long of(Scriptable thisObj, Object[] args);
    }

    /** Arguments a call may spread: the JVM's own limit on a method's parameters is far below what a script could ask. */
    static final int MAX_ARGUMENTS = 65_535;
    /** Characters compared by a plain search of a string in a string: its worst case is their product. */
    static final long MAX_SEARCH = 500_000_000L;

    /** Array.prototype's functions that walk the whole length (in Java, where no tick sees them). */
    private static final String[] WALKERS = {"concat", "copyWithin", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
            "flat", "flatMap", "forEach", "includes", "indexOf", "lastIndexOf", "map", "reduce", "reduceRight", "reverse", "shift", "slice", "some",
            "sort", "splice", "toLocaleString", "toString", "unshift", "toReversed", "toSorted", "toSpliced", "with"};

    private static long length(Scriptable self) {
        return self == null ? 0 : (long) Math.min(Long.MAX_VALUE, ScriptRuntime.toLength(new Object[] {ScriptableObject.getProperty(self, "length")}, 0));
    }

    static void install(ScriptableObject scope, int maxStringLength, int maxArrayLength) {
        Scriptable arrayProto = ScriptableObject.getClassPrototype(scope, "Array");
        for (String walker : WALKERS) {
            capCount(scope, arrayProto, "Array.prototype." + walker, walker, maxArrayLength, "limits.maxArrayLength", (self, args) -> {
                long n = length(self);
                if (walker.equals("concat")) {
                    for (Object a : args) {
                        n += a instanceof Scriptable s ? length(s) : 1;
                    }
                }
                return n;
            });
        }
        Scriptable arrayCtor = (Scriptable) ScriptableObject.getProperty(scope, "Array");
        capCount(scope, arrayCtor, "Array.from", "from", maxArrayLength, "limits.maxArrayLength",
                (self, args) -> args.length > 0 && args[0] instanceof Scriptable s ? length(s) : 0);
        Scriptable functionProto = ScriptableObject.getClassPrototype(scope, "Function");
        capCount(scope, functionProto, "Function.prototype.apply", "apply", Math.min(MAX_ARGUMENTS, maxArrayLength), "arguments at most",
                (self, args) -> args.length > 1 && args[1] instanceof Scriptable s ? length(s) : 0);
        Object reflect = ScriptableObject.getProperty(scope, "Reflect");
        if (reflect instanceof Scriptable r) {
            capCount(scope, r, "Reflect.apply", "apply", Math.min(MAX_ARGUMENTS, maxArrayLength), "arguments at most",
                    (self, args) -> args.length > 2 && args[2] instanceof Scriptable s ? length(s) : 0);
            capCount(scope, r, "Reflect.construct", "construct", Math.min(MAX_ARGUMENTS, maxArrayLength), "arguments at most",
                    (self, args) -> args.length > 1 && args[1] instanceof Scriptable s ? length(s) : 0);
        }
        Scriptable stringProto = ScriptableObject.getClassPrototype(scope, "String");
        for (String search : new String[] {"indexOf", "lastIndexOf", "includes", "startsWith", "endsWith", "split", "replace", "replaceAll"}) {
            capCount(scope, stringProto, "String.prototype." + search, search, MAX_SEARCH, "characters compared at most", (self, args) -> {
                if (args.length == 0 || !(args[0] instanceof CharSequence needle)) {
                    return 0; // a regular expression ticks as it runs
                }
                long n = ScriptRuntime.toString(self).length();
                if (search.equals("split") && needle.length() == 0) {
                    return n > maxArrayLength ? MAX_SEARCH + 1 : 0; // one element a character
                }
                return n * Math.max(1, needle.length());
            });
        }
        for (String name : new String[] {"replace", "replaceAll"}) {
            boundReplacements(scope, stringProto, name, maxStringLength);
        }
        cap(scope, stringProto, "concat", maxStringLength, (self, args) -> {
            long n = ScriptRuntime.toString(self).length();
            for (Object a : args) {
                n += a instanceof CharSequence c ? c.length() : 24;
            }
            return n;
        });
        installStringCaps(scope, maxStringLength);
        boundJsonStringify(scope, maxStringLength);
    }

    /**
     * {@code JSON.stringify} builds its text in Java: a value whose parts are shared ({@code o = [o, o]} forty times) is
     * written out once for every path to each part, and an indent is repeated on every line as deep as the value
     * nests, gigabytes in one call. Here the call goes through a replacer of this class's (after the script's own,
     * if it gave a function) which counts what each value will add as the language's own walk meets it, and throws a
     * RangeError past the limit. A replacer given as a list of keys cannot be composed with it: that call is left as it is.
     */
    private static void boundJsonStringify(ScriptableObject scope, int max) {
        if (!(ScriptableObject.getProperty(scope, "JSON") instanceof Scriptable json)
                || !(ScriptableObject.getProperty(json, "stringify") instanceof Function original)) {
            return;
        }
        LambdaFunction bounded = new LambdaFunction(scope, "stringify", 3, (cx, s, self, args) -> {
            Object given = args.length > 1 ? args[1] : Undefined.instance;
            if (given instanceof Scriptable && !(given instanceof Function)) {
                return original.call(cx, s, self, args); // a list of keys
            }
            Object space = args.length > 2 ? args[2] : Undefined.instance;
            int gap = space instanceof Number n ? (int) Math.max(0, Math.min(10, n.doubleValue()))
                    : space instanceof CharSequence c ? Math.min(10, c.length()) : 0;
            long[] total = {0};
            java.util.Map<Object, Integer> depths = new java.util.IdentityHashMap<>();
            LambdaFunction counting = new LambdaFunction(scope, "counted", 2, (fcx, fs, holder, kv) -> {
                Object key = kv.length > 0 ? kv[0] : "";
                Object value = kv.length > 1 ? kv[1] : Undefined.instance;
                if (given instanceof Function f) {
                    value = f.call(fcx, fs, holder, new Object[] {key, value});
                }
                int depth = depths.getOrDefault(holder, 0) + 1;
                long adds = 2 + (long) gap * depth + ScriptRuntime.toString(key).length() + 3; // its line, indent, key, quotes, colon, comma
                if (value instanceof CharSequence c) {
                    adds += c.length();
                } else if (value instanceof Scriptable o && !(value instanceof Function)) {
                    depths.put(o, depth);
                } else {
                    adds += 24; // a number, a boolean, null
                }
                total[0] += adds;
                if (total[0] > max) {
                    throw ScriptRuntime.rangeError("JSON.stringify would make a string of more than " + max + " characters, over limits.maxStringLength ("
                            + max + ")");
                }
                return value;
            });
            Object[] call = {args.length > 0 ? args[0] : Undefined.instance, counting, space};
            return original.call(cx, s, self, call);
        });
        ScriptableObject.defineProperty(json, "stringify", bounded, ScriptableObject.DONTENUM);
    }

    private static void capCount(ScriptableObject scope, Scriptable holder, String what, String name, long max, String limit, Length count) {
        String unit = limit.startsWith("characters") ? " characters compared" : limit.startsWith("arguments") ? " arguments" : " elements";
        String over = limit.startsWith("limits.") ? limit + " (" + max + ")" : max + " " + limit;
        wrap(scope, holder, name, max, count, n -> what + " on " + n + unit + ", over " + over);
    }

    /** Replaces a built-in with one that asks {@code count} first and throws a RangeError of {@code refusal} beyond {@code max}. */
    private static void wrap(ScriptableObject scope, Scriptable holder, String name, long max, Length count, java.util.function.LongFunction<String> refusal) {
        Object found = ScriptableObject.getProperty(holder, name);
        if (!(found instanceof Function original)) {
            return;
        }
        int arity = original instanceof BaseFunction b ? b.getArity() : 1;
        LambdaFunction capped = new LambdaFunction(scope, name, arity, (cx, s, self, args) -> {
            long n = count.of(self, args);
            if (n > max) {
                throw ScriptRuntime.rangeError(refusal.apply(n));
            }
            return original.call(cx, s, self, args);
        });
        ScriptableObject.defineProperty(holder, name, capped, ScriptableObject.DONTENUM);
    }

    /**
     * {@code replace} and {@code replaceAll} build their result in Java, a replacement for each match: a template
     * with {@code $`} or {@code $'} (the text before or after the match), or a function returning a long string,
     * makes a string many times over the limit between two ticks. Here the replacement is always a function of
     * this class's, which makes each match's text as the language does (the caller's function, or the template's
     * substitution) and counts it: over the limit, a RangeError before the next is made.
     */
    private static void boundReplacements(ScriptableObject scope, Scriptable prototype, String name, int max) {
        Object found = ScriptableObject.getProperty(prototype, name);
        if (!(found instanceof Function original)) {
            return;
        }
        LambdaFunction bounded = new LambdaFunction(scope, name, 2, (cx, s, self, args) -> {
            if (args.length < 2) {
                return original.call(cx, s, self, args);
            }
            long[] total = {ScriptRuntime.toString(self).length()};
            Object replacement = args[1];
            String template = replacement instanceof Function ? null : ScriptRuntime.toString(replacement);
            Substitution[] compiled = {null}; // read at the first match, when the pattern's captures are known
            Object[] given = args.clone();
            given[1] = new LambdaFunction(scope, "replacement", 1, (fcx, fs, fthis, match) -> {
                if (template != null && compiled[0] == null) {
                    compiled[0] = Substitution.compile(template, Substitution.captures(match), Substitution.named(match));
                }
                String made = template == null ? ScriptRuntime.toString(((Function) replacement).call(fcx, fs, fthis, match)) : compiled[0].apply(match);
                total[0] += made.length();
                if (total[0] > max) {
                    throw ScriptRuntime.rangeError(name + " would make a string of more than " + max + " characters, over limits.maxStringLength ("
                            + max + ")");
                }
                return made;
            });
            return original.call(cx, s, self, given);
        });
        ScriptableObject.defineProperty(prototype, name, bounded, ScriptableObject.DONTENUM);
    }

    /** The string builders: asked first how long their string would be. */
    private static void installStringCaps(ScriptableObject scope, int maxStringLength) {
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
        wrap(scope, prototype, name, max, length, n -> name + " would make a string of " + n + " characters, over limits.maxStringLength (" + max + ")");
    }
}
