package io.atrium.transport.script.lua;

import io.atrium.transport.script.engine.Budget;
import io.atrium.transport.script.engine.EngineVersions;
import io.atrium.transport.script.engine.Program;
import io.atrium.transport.script.engine.ScriptEngine;
import io.atrium.transport.script.engine.ScriptError;
import io.atrium.transport.script.engine.ScriptHost;
import io.atrium.transport.script.manifest.ScriptManifest;
import java.util.LinkedHashSet;
import java.util.Set;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.Bit32Lib;
import org.luaj.vm2.lib.DebugLib;
import org.luaj.vm2.lib.MathLib;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

/**
 * Lua 5.2 on LuaJ, interpreted, in a sandbox: each script has its own globals with the base, string,
 * table, math and bit32 libraries only (no io, os, luajava, coroutine or debug), and without what reads
 * files or loads code from outside ({@code require}, {@code package}, {@code dofile}, {@code loadfile},
 * {@code load}) or pauses the whole server ({@code collectgarbage}). LuaJ's {@code package} library
 * would load any Java class by name: it is loaded (other libraries need it) and then removed. The
 * metatable of all strings is the JVM's, shared by every script: it is made once, of a pristine string
 * library, read-only, so that no script changes {@code ("x"):rep()} for another.
 */
public final class LuaEngine implements ScriptEngine {
    /** The limits of the call running on this thread, for the shared string methods. */
    static final ThreadLocal<ScriptManifest.Limits> LIMITS = new ThreadLocal<>();

    static {
        // before any script's globals load the string library, which would make its own table the shared one
        Globals pristine = new Globals();
        pristine.load(new BaseLib());
        pristine.load(new PackageLib());
        pristine.load(new StringLib());
        LuaTable string = (LuaTable) pristine.get("string");
        cap(string);
        org.luaj.vm2.lib.CountedPatterns.install(string, LuaProgram::current, () -> limits().maxStringLength());
        // with __metatable set, getmetatable("") answers false: no script reaches the shared table to change it
        LuaString.s_metatable = LuaValue.tableOf(new LuaValue[] {LuaValue.INDEX, ReadOnly.of(string), LuaValue.METATABLE, LuaValue.FALSE});
    }

    @Override
    public String describe() {
        return "LuaJ " + EngineVersions.of("luaj") + " (Lua 5.2, interpreted)";
    }

    @Override
    public Program load(ScriptManifest m, ScriptHost host, Budget budget) {
        io.atrium.transport.script.engine.Woven.require("LuaJ", org.luaj.vm2.LuaString.class, org.luaj.vm2.Buffer.class);
        String file = m.file().getFileName().toString();
        Globals g = new Globals();
        g.load(new BaseLib());
        g.load(new PackageLib());
        g.load(new Bit32Lib());
        g.load(new TableLib());
        g.load(new StringLib());
        g.load(new MathLib());
        g.load(new DebugLib());
        LoadState.install(g);
        LuaC.install(g);
        LuaValue sethook = g.get("debug").get("sethook");
        for (String gone : new String[] {"debug", "require", "package", "dofile", "loadfile", "load", "loadstring", "collectgarbage", "print"}) {
            g.set(gone, LuaValue.NIL);
        }
        cap((LuaTable) g.get("string"));
        org.luaj.vm2.lib.CountedPatterns.install((LuaTable) g.get("string"), LuaProgram::current, () -> limits().maxStringLength());
        capTables(g);
        g.set("host", host(host, file));
        g.set("print", new VarArgFunction() { // to the log, as go-plugin forwards a plugin's printing
            @Override
            public Varargs invoke(Varargs args) {
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= args.narg(); i++) {
                    sb.append(i > 1 ? "\t" : "").append(args.arg(i).tojstring());
                }
                host.log("info", sb.toString());
                return LuaValue.NONE;
            }
        });
        // the budget's tick every so many instructions; its Error ends the call, past any pcall
        sethook.invoke(LuaValue.varargsOf(new LuaValue[] {new ZeroArgFunction() {
            @Override
            public LuaValue call() {
                LuaProgram.current().tick();
                return LuaValue.NONE;
            }
        }, LuaValue.EMPTYSTRING, LuaValue.valueOf(Budget.TICK_INSTRUCTIONS)}));
        LuaValue chunk;
        try {
            chunk = g.load(m.source(), file);
        } catch (LuaError e) {
            throw new ScriptError(LuaProgram.describe(file, null, e));
        } catch (RuntimeException | StackOverflowError e) {
            throw new ScriptError(file + ": does not compile: " + e);
        }
        LuaProgram program = new LuaProgram(m, g, budget);
        program.run(null, () -> {
            try {
                chunk.call();
            } catch (LuaError e) {
                throw new ScriptError(LuaProgram.describe(file, "its top level", e));
            } catch (RuntimeException e) {
                throw new ScriptError(file + ": its top level failed: " + e);
            }
            return null;
        });
        Set<String> functions = new LinkedHashSet<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs n = g.next(k);
            if ((k = n.arg1()).isnil()) {
                break;
            }
            if (k.isstring() && n.arg(2).isfunction() && !k.tojstring().equals("print") && !standard(k.tojstring())) {
                functions.add(k.tojstring());
            }
        }
        program.functions(Set.copyOf(functions));
        return program;
    }

    private static final Set<String> STANDARD = Set.of("assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
            "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "unpack");

    private static boolean standard(String name) {
        return STANDARD.contains(name);
    }

    /** The script's {@code host}: {@code log(level, message)}, {@code config} (read live) and {@code call(plugin, method, …args)}. */
    private static LuaValue host(ScriptHost host, String file) {
        LuaTable t = new LuaTable();
        t.set("log", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                boolean two = args.narg() > 1;
                host.log(two ? args.arg(1).tojstring() : "info", (two ? args.arg(2) : args.arg(1)).tojstring());
                return LuaValue.NONE;
            }
        });
        t.set("call", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                String plugin = args.checkjstring(1);
                String method = args.checkjstring(2);
                java.util.List<com.google.gson.JsonElement> in = new java.util.ArrayList<>();
                for (int i = 3; i <= args.narg(); i++) {
                    in.add(LuaValues.toJson(args.arg(i), file, "host.call", LIMITS.get(), LuaProgram.current()));
                }
                try {
                    return LuaValues.toLua(host.call(plugin, method, in));
                } catch (IllegalArgumentException e) {
                    throw new LuaError(e.getMessage());
                }
            }
        });
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new org.luaj.vm2.lib.TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                return key.tojstring().equals("config") ? LuaValues.toLua(host.config()) : LuaValue.NIL;
            }
        });
        t.setmetatable(meta);
        return ReadOnly.of(t);
    }

    /**
     * {@code string.rep} asks first how long its string would be; {@code string.byte} how many values it would
     * spread, at most as many as {@code table.unpack} (Lua's own refuses a slice its stack cannot hold).
     */
    private static void cap(LuaTable string) {
        LuaValue bytes = string.get("byte");
        string.set("byte", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                long length = args.checkstring(1).length();
                long i = args.optint(2, 1);
                long j = args.isnil(3) ? i : args.checkint(3);
                i = i < 0 ? Math.max(1, length + i + 1) : Math.max(1, i);
                j = j < 0 ? length + j + 1 : Math.min(j, length);
                long max = Math.min(65_535, limits().maxArrayLength());
                if (j - i + 1 > max) {
                    throw new LuaError("string.byte of " + (j - i + 1) + " values, over " + max + " values at most (string slice too long)");
                }
                return bytes.invoke(args);
            }
        });
        LuaValue rep = string.get("rep");
        string.set("rep", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                ScriptManifest.Limits l = LIMITS.get();
                long max = l == null ? ScriptManifest.Limits.DEFAULTS.maxStringLength() : l.maxStringLength();
                long n = (long) args.checkstring(1).length() * Math.max(0, args.checkint(2))
                        + (args.isstring(3) ? (long) args.checkstring(3).length() * Math.max(0, args.checkint(2) - 1) : 0);
                if (n > max) {
                    throw new LuaError("string.rep would make a string of " + n + " characters, over limits.maxStringLength (" + max + ")");
                }
                return rep.invoke(args);
            }
        });
    }

    /**
     * {@code table.unpack} (and 5.1's {@code unpack}) and {@code table.concat} ask first how much they would
     * make: values spread onto the stack, characters joined.
     */
    private static void capTables(Globals g) {
        LuaTable table = (LuaTable) g.get("table");
        LuaValue unpack = table.get("unpack");
        VarArgFunction capped = new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable t = args.checktable(1);
                long from = args.optint(2, 1);
                long to = args.isnil(3) ? t.length() : args.checkint(3);
                long max = Math.min(65_535, limits().maxArrayLength());
                if (to - from + 1 > max) {
                    throw new LuaError("unpack of " + (to - from + 1) + " values, over " + max + " values at most");
                }
                return unpack.invoke(args);
            }
        };
        table.set("unpack", capped);
        if (!g.get("unpack").isnil()) {
            g.set("unpack", capped);
        }
        LuaValue concat = table.get("concat");
        table.set("concat", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable t = args.checktable(1);
                String sep = args.optjstring(2, "");
                long from = args.optint(3, 1);
                long to = args.isnil(4) ? t.length() : args.checkint(4);
                long max = limits().maxStringLength();
                long n = Math.max(0, to - from) * sep.length();
                if (to - from + 1 > limits().maxArrayLength()) {
                    throw new LuaError("table.concat of " + (to - from + 1) + " values, over limits.maxArrayLength (" + limits().maxArrayLength() + ")");
                }
                for (long i = from; i <= to && n <= max; i++) {
                    LuaValue v = t.get((int) i);
                    n += v.type() == LuaValue.TSTRING ? v.rawlen() : 24;
                }
                if (n > max) {
                    throw new LuaError("table.concat would make a string of more than " + max + " characters, over limits.maxStringLength");
                }
                return concat.invoke(args);
            }
        });
    }

    private static ScriptManifest.Limits limits() {
        ScriptManifest.Limits l = LIMITS.get();
        return l == null ? ScriptManifest.Limits.DEFAULTS : l;
    }

    /** A table no script can change: its writes fail, its reads go to the table it guards. */
    static final class ReadOnly {
        private ReadOnly() {
        }

        static LuaTable of(LuaTable guarded) {
            LuaTable proxy = new LuaTable();
            LuaTable meta = new LuaTable();
            meta.set(LuaValue.INDEX, guarded);
            meta.set(LuaValue.NEWINDEX, new org.luaj.vm2.lib.ThreeArgFunction() {
                @Override
                public LuaValue call(LuaValue t, LuaValue k, LuaValue v) {
                    throw new LuaError("the table is read-only");
                }
            });
            meta.set(LuaValue.METATABLE, LuaValue.FALSE);
            proxy.setmetatable(meta);
            return proxy;
        }
    }

}
