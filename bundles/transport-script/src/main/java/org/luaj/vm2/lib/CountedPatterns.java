package org.luaj.vm2.lib;

import io.atrium.transport.script.engine.Budget;
import java.util.function.Supplier;
import org.luaj.vm2.Buffer;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Lua's pattern functions ({@code string.find}, {@code match}, {@code gmatch}, {@code gsub}) with every
 * step of the matcher counted against the call's budget. LuaJ's matcher backtracks in Java, where the
 * count hook does not see it: {@code (".-"):rep(4) .. "b"} on a few hundred characters ran for minutes.
 * Here its {@code match} (called at every step of a backtrack) ticks the budget every 1024 steps; the
 * four functions are Lua 5.2's, written against that matcher. In LuaJ's package, because its matcher
 * is package-private; it travels inside the script transport's bundle with the rest of LuaJ.
 */
public final class CountedPatterns {
    private static final LuaString SPECIALS = LuaString.valueOf("^$*+?.([%-");
    /** A plain search's worst case is the product of the lengths: refused over this. */
    private static final long MAX_PLAIN_SEARCH = 500_000_000L;

    private CountedPatterns() {
    }

    /** A matcher whose every step counts. */
    static final class Counted extends StringLib.MatchState {
        private final Budget budget;
        private int steps;

        Counted(Varargs args, LuaString s, LuaString p, Budget budget) {
            super(args, s, p);
            this.budget = budget;
        }

        @Override
        int match(int soffset, int poffset) {
            if ((++steps & 1023) == 0 && budget != null) {
                budget.tick();
            }
            return super.match(soffset, poffset);
        }
    }

    /**
     * Replaces the script's own string table's pattern functions.
     *
     * @param budget    the budget of the call running on this thread
     * @param maxLength the longest string gsub may make
     */
    public static void install(LuaTable string, Supplier<Budget> budget, Supplier<Integer> maxLength) {
        string.set("find", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return find(args, true, budget.get());
            }
        });
        string.set("match", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return find(args, false, budget.get());
            }
        });
        string.set("gmatch", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return gmatch(args.checkstring(1), args.checkstring(2), budget);
            }
        });
        string.set("gsub", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return gsub(args, budget.get(), maxLength.get());
            }
        });
    }

    private static LuaError tooLong(int maxLength) {
        return new LuaError("string.gsub would make a string of more than " + maxLength + " characters, over limits.maxStringLength");
    }

    /** Lua 5.2's init: from 1, negative from the end, clamped to the string. */
    private static int start(Varargs args, int length) {
        int init = args.optint(3, 1);
        if (init > 0) {
            return Math.min(init - 1, length);
        }
        return init < 0 ? Math.max(0, length + init) : 0;
    }

    private static Varargs find(Varargs args, boolean find, Budget budget) {
        LuaString s = args.checkstring(1);
        LuaString p = args.checkstring(2);
        int init = start(args, s.length());
        if (find && (args.arg(4).toboolean() || p.indexOfAny(SPECIALS) < 0)) {
            if ((long) (s.length() - init) * Math.max(1, p.length()) > MAX_PLAIN_SEARCH) {
                throw new LuaError("string.find of " + p.length() + " characters in " + (s.length() - init)
                        + ", over " + MAX_PLAIN_SEARCH + " characters compared at most");
            }
            int at = s.indexOf(p, init);
            return at < 0 ? LuaValue.NIL : LuaValue.varargsOf(LuaValue.valueOf(at + 1), LuaValue.valueOf(at + p.length()));
        }
        Counted ms = new Counted(args, s, p, budget);
        boolean anchor = p.length() > 0 && p.luaByte(0) == '^';
        int soffset = init;
        do {
            ms.reset();
            int end = ms.match(soffset, anchor ? 1 : 0);
            if (end != -1) {
                return find ? LuaValue.varargsOf(LuaValue.valueOf(soffset + 1), LuaValue.valueOf(end), ms.push_captures(false, soffset, end))
                        : ms.push_captures(true, soffset, end);
            }
        } while (soffset++ < s.length() && !anchor);
        return LuaValue.NIL;
    }

    private static Varargs gmatch(LuaString s, LuaString p, Supplier<Budget> budget) {
        return new VarArgFunction() {
            private int soffset;

            @Override
            public Varargs invoke(Varargs args) {
                Counted ms = new Counted(args, s, p, budget.get());
                for (; soffset <= s.length(); soffset++) {
                    ms.reset();
                    int end = ms.match(soffset, 0);
                    if (end != -1) {
                        int from = soffset;
                        soffset = end == soffset ? end + 1 : end; // an empty match moves on by one
                        return ms.push_captures(true, from, end);
                    }
                }
                return LuaValue.NIL;
            }
        };
    }

    private static Varargs gsub(Varargs args, Budget budget, int maxLength) {
        LuaString s = args.checkstring(1);
        LuaString p = args.checkstring(2);
        LuaValue repl = args.arg(3);
        if (!(repl.isstring() || repl.istable() || repl.isfunction())) {
            throw new LuaError("bad argument #3 to 'gsub' (string/function/table expected, got " + repl.typename() + ")");
        }
        int max = args.optint(4, s.length() + 1);
        boolean anchor = p.length() > 0 && p.luaByte(0) == '^';
        Buffer out = new Buffer(Math.min(s.length(), maxLength));
        Counted ms = new Counted(args, s, p, budget);
        int soffset = 0;
        int n = 0;
        long produced = 0;
        while (n < max) {
            ms.reset();
            int end = ms.match(soffset, anchor ? 1 : 0);
            if (end != -1) {
                n++;
                Buffer piece = new Buffer(); // each replacement measured before it joins the result
                ms.add_value(piece, soffset, end, repl);
                LuaString made = piece.tostring();
                produced += made.length();
                if (produced > maxLength) {
                    throw tooLong(maxLength);
                }
                out.append(made);
            }
            if (end != -1 && end > soffset) {
                soffset = end;
            } else if (soffset < s.length()) {
                out.append((byte) s.luaByte(soffset++));
                produced++;
            } else {
                break;
            }
            if (anchor) {
                break;
            }
        }
        if (produced + s.length() - soffset > maxLength) {
            throw tooLong(maxLength);
        }
        out.append(s.substring(soffset, s.length()));
        return LuaValue.varargsOf(out.tostring(), LuaValue.valueOf(n));
    }
}
