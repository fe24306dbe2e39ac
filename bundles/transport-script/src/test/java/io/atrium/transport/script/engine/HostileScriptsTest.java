package io.atrium.transport.script.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.atrium.transport.script.js.RhinoEngine;
import io.atrium.transport.script.lua.LuaEngine;
import io.atrium.transport.script.manifest.ScriptManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scripts written to hurt the server, run on the real engines: each is refused or stopped in one line
 * within its budget, where before it ran for minutes (or years) in a built-in the budget's tick does not
 * see, or took the heap. (The timeouts below are a hundred times what each takes: they only keep a
 * regression from hanging the build.)
 */
class HostileScriptsTest {
    private static final ScriptHost HOST = new ScriptHost() {
        @Override
        public void log(String level, String message) {
        }

        @Override
        public JsonObject config() {
            return new JsonObject();
        }

        @Override
        public JsonElement call(String plugin, String method, List<JsonElement> args) {
            throw new IllegalArgumentException("no plugins here");
        }
    };
    private static final Duration HANG = Duration.ofSeconds(60);

    static Program load(String file, String body) {
        String header = file.endsWith(".js") ? "/* atrium { \"version\": \"1.0.0\", \"functions\": [\"f\"], \"limits\": {\"callTimeoutMs\": 300} } */\n"
                : "--[[ atrium { \"version\": \"1.0.0\", \"functions\": [\"f\"], \"limits\": {\"callTimeoutMs\": 300} } ]]\n";
        ScriptManifest m = ScriptManifest.parse(Path.of(file), (header + body).getBytes(StandardCharsets.UTF_8));
        ScriptEngine engine = file.endsWith(".js") ? new RhinoEngine() : new LuaEngine();
        Budget b = new Budget();
        b.start(m.callTimeoutMs(), m.limits().maxAllocationMb() << 20);
        return engine.load(m, HOST, b);
    }

    /** @return the one line the call failed with */
    static String failure(String file, String body) {
        return assertTimeoutPreemptively(HANG, () -> {
            Program p = load(file, body);
            Budget b = p.budget();
            b.start(300, 256 << 20);
            return assertThrows(ScriptError.class, () -> p.call("f", new Object[0], b)).getMessage();
        });
    }

    /** @return how the call was stopped: its one line, or its budget's (either ends it; which comes first depends on the machine) */
    static String stopped(String file, String body) {
        return assertTimeoutPreemptively(HANG, () -> {
            Program p = load(file, body);
            Budget b = p.budget();
            b.start(300, 256 << 20);
            Throwable t = assertThrows(Throwable.class, () -> p.call("f", new Object[0], b));
            assertTrue(t instanceof ScriptError || t instanceof Budget.Exceeded, t.toString());
            return t.getMessage();
        });
    }

    @Test
    void arrayBuiltInsRefuseLengthsTheirJavaLoopsWouldWalkForYears() {
        String sparse = failure("a.js", "function f() { var a = []; a.length = 4e9; return a.indexOf(1); }");
        assertTrue(sparse.contains("RangeError: Array.prototype.indexOf on 4000000000 elements, over limits.maxArrayLength (1048576)"), sparse);
        String arrayLike = failure("a.js", "function f() { return Array.prototype.includes.call({length: Math.pow(2, 53) - 1}, 1); }");
        assertTrue(arrayLike.contains("RangeError: Array.prototype.includes on 9007199254740991 elements"), arrayLike);
        String string = failure("a.js", "function f() { var a = []; a.length = 4e9; return String(a); }");
        assertTrue(string.contains("RangeError: Array.prototype.toString on 4000000000 elements"), string);
        String from = failure("a.js", "function f() { return Array.from({length: 4e9}).length; }");
        assertTrue(from.contains("RangeError: Array.from on 4000000000 elements"), from);
    }

    @Test
    void spreadingAndSearchingAreBoundedBeforeTheyStart() {
        String apply = failure("a.js", "function f() { return Math.max.apply(null, {length: 1e8}); }");
        assertTrue(apply.contains("RangeError: Function.prototype.apply on 100000000 arguments, over 65535 arguments at most"), apply);
        String search = failure("a.js", "function f() { return 'a'.repeat(2e5).indexOf('a'.repeat(1e5) + 'b'); }");
        assertTrue(search.contains("RangeError: String.prototype.indexOf on 20000200000 characters compared, over 500000000 characters compared at most"), search);
        String split = failure("a.js", "function f() { return 'x'.repeat(16e6).split('').length; }");
        assertTrue(split.contains("RangeError: String.prototype.split"), split);
    }

    @Test
    void aResultIsConvertedUnderCountsNotWithoutEnd() {
        String dag = stopped("a.js", "function f() { var o = []; for (var i = 0; i < 40; i++) { o = [o, o]; } return o; }");
        assertTrue(dag.endsWith("a.js: f returned more than 1000000 values") || dag.startsWith("ran past its CPU budget"), dag);
        String deep = failure("a.js", "function f() { var o = {}; for (var i = 0; i < 100000; i++) { o = {o: o}; } return o; }");
        assertTrue(deep.endsWith("a.js: f returned values nested deeper than 255 (or one that holds itself)"), deep);
        String luaDag = stopped("a.lua", "function f() local t = {} for i = 1, 40 do t = {t, t} end return t end");
        assertTrue(luaDag.endsWith("a.lua: f returned more than 1000000 values") || luaDag.startsWith("ran past its CPU budget"), luaDag);
    }

    @Test
    void aScriptTooDeepToCompileIsAOneLineRefusalNotAStackOverflow() {
        String body = "var x = " + "1 + ".repeat(500_000) + "1;\nfunction f() { return x; }";
        String refused = assertTimeoutPreemptively(HANG, () -> assertThrows(ScriptError.class, () -> load("deep.js", body)).getMessage());
        assertTrue(refused.startsWith("deep.js: does not compile"), refused);
    }

    @Test
    void luaSpreadsAndJoinsAskFirst() {
        String unpack = failure("a.lua", "function f() return select('#', table.unpack({}, 1, 1e8)) end");
        assertTrue(unpack.contains("unpack of 100000000 values, over 65535 values at most"), unpack);
        String concat = failure("a.lua", "function f() local t = {} for i = 1, 100 do t[i] = string.rep('x', 1000000) end return #table.concat(t) end");
        String bytes = failure("a.lua", "function f() local s = string.rep('x', 16000000) return select('#', s:byte(1, -1)) end");
        assertTrue(bytes.contains("string.byte of 16000000 values, over 65535 values at most"), bytes);
        assertTrue(concat.contains("table.concat would make a string of more than 16777216 characters"), concat);
    }

    @Test
    void aLuaErrorMessageIsReadInBoundedTime() {
        String said = failure("a.lua", "function f() error('\\nstack traceback:' .. string.rep('\\t', 300000)) end");
        assertTrue(said.startsWith("a.lua:2: f failed: "), said.substring(0, Math.min(200, said.length())));
        assertTrue(said.length() < 5000, "the message is cut: " + said.length());
    }

    @Test
    void theScriptsOwnCallsStillWork() {
        Program js = load("ok.js", "function f(a) { return [1, 2, 3].map(function (x) { return x * 2; }).concat([a]).join('-'); }");
        Budget b = js.budget();
        b.start(300, 64 << 20);
        assertEquals("\"2-4-6-z\"", js.call("f", new Object[] {"z"}, b).toString());
        Program lua = load("ok.lua", "function f(a) return table.concat({1, 2, a}, '-') .. select('#', table.unpack({1, 2, 3})) end");
        b = lua.budget();
        b.start(300, 64 << 20);
        assertEquals("\"1-2-z3\"", lua.call("f", new Object[] {"z"}, b).toString());
    }

    /** The pattern matcher backtracks in Java: every step of it counts against the budget, as the script's own instructions do. */
    @Test
    void aLuaPatternThatBacktracksWithoutEndIsStoppedByTheBudget() {
        for (String call : new String[] {"string.rep('a', 300):find('.-.-.-.-.-b')", "string.find(string.rep('a', 300), '.-.-.-.-.-b')",
                "string.gsub(string.rep('a', 300), '.-.-.-.-.-b', 'x')", "string.rep('a', 300):match('.-.-.-.-.-b')"}) {
            String said = stopped("a.lua", "function f() return " + call + " end");
            assertTrue(said.startsWith("ran past its CPU budget of 300 ms"), call + ": " + said);
        }
        String gsub = failure("a.lua", "function f() return (string.gsub(string.rep('a', 100), '.', string.rep('y', 1000000))) end");
        assertTrue(gsub.contains("string.gsub would make a string of more than 16777216 characters"), gsub);
        String plain = failure("a.lua", "function f() return string.rep('a', 400000):find(string.rep('a', 200000) .. 'b', 1, true) end");
        assertTrue(plain.contains("string.find of 200001 characters in 400000, over 500000000 characters compared at most"), plain);
    }

    /** The counted pattern functions answer as Lua 5.2's do. */
    @Test
    void theCappedStringByteAnswersAsLuasOwn() {
        Program p = load("b.lua", "function f() return table.concat({('abc'):byte(1, -1)}, ',') .. '|' .. tostring(('abc'):byte()) .. '|' "
                + ".. table.concat({('abc'):byte(-2, -1)}, ',') .. '|' .. select('#', ('abc'):byte(5, 9)) .. '|' .. tostring(('abc'):byte(2)) end");
        assertEquals("\"97,98,99|97|98,99|0|98\"", p.call("f", new Object[0], started(p)).toString());
    }

    @Test
    void theCountedPatternFunctionsAnswerAsLuasOwn() {
        Program lua = load("p.lua", """
                function f()
                  local out = {}
                  out[#out + 1] = table.concat({string.find("hello world", "o w")}, ",")
                  out[#out + 1] = table.concat({("hello world"):find("(o)(r)")}, ",")
                  out[#out + 1] = table.concat({string.find("a.b", ".", 1, true)}, ",")
                  out[#out + 1] = tostring(string.find("abc", "x"))
                  out[#out + 1] = table.concat({string.find("abcabc", "b", -3)}, ",")
                  out[#out + 1] = string.match("key = value", "(%w+)%s*=%s*(%w+)")
                  out[#out + 1] = string.match("  trim  ", "^%s*(.-)%s*$")
                  local words = {}
                  for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
                  out[#out + 1] = table.concat(words, "|")
                  local pairs_ = {}
                  for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do pairs_[#pairs_ + 1] = k .. v end
                  out[#out + 1] = table.concat(pairs_, "|")
                  out[#out + 1] = table.concat({string.gsub("hello world", "o", "0")}, ",")
                  out[#out + 1] = table.concat({string.gsub("hello", "", "-")}, ",")
                  out[#out + 1] = (string.gsub("$name is $age", "%$(%w+)", {name = "Ann", age = 7}))
                  out[#out + 1] = (string.gsub("abc", "%w", function(c) return c:upper() .. "." end))
                  out[#out + 1] = (string.gsub("hello world", "(%w+)", "<%1>", 1))
                  out[#out + 1] = (string.gsub("abc", "^a", "X"))
                  out[#out + 1] = string.match("THE (quick) fox", "%((%a+)%)")
                  out[#out + 1] = string.match("f(a(b)c)d", "%b()")
                  return table.concat(out, " ; ")
                end
                """);
        Budget b = lua.budget();
        b.start(1000, 64 << 20);
        assertEquals("\"5,7 ; 8,9,o,r ; 2,2 ; nil ; 5,5 ; key ; trim ; one|two|three ; a1|b2 ; hell0 w0rld,2 ; -h-e-l-l-o-,6 ; Ann is 7 ; "
                + "A.B.C. ; <hello> world ; Xbc ; quick ; (a(b)c)\"", lua.call("f", new Object[0], b).toString());
    }

    /** What a script throws is its own text: the caller, the log and the HTTP API get one line of it, cut to a few KiB. */
    @Test
    void concatenationIsBoundedByTheStringLimitBeforeTheCopyIsMade() {
        // thirty doublings are thirty instructions, gigabytes before the budget's next tick: each is checked where it is made
        String lua = failure("a.lua", "function f() local s = string.rep('x', 1048576) for i = 1, 40 do s = s .. s end return #s end");
        assertTrue(lua.startsWith("a.lua:2: f failed: .. would make a string of 33554432 bytes, over limits.maxStringLength (16777216)"), lua);
        String chain = failure("a.lua", "function f() local s = string.rep('x', 1048576) for i = 1, 40 do s = s .. s .. 'y' end return #s end");
        assertTrue(chain.contains(".. would make a string of ") && chain.contains("over limits.maxStringLength (16777216)"), chain);
        String caught = failure("a.lua", "function f() local s = string.rep('x', 1048576) local ok = pcall(function () for i = 1, 40 do s = s .. s end end) "
                + "error('caught, and s is ' .. #s) end");
        assertTrue(caught.contains("caught, and s is 16777216"), "the script may catch it; nothing was made: " + caught);
        for (String grow : new String[] {"s = s + s", "s = `${s}${s}`", "s = (s + s).substring(1)"}) {
            String js = failure("a.js", "function f() { var s = 'x'.repeat(1048576); for (var i = 0; i < 40; i++) { " + grow + "; } return s.length; }");
            assertTrue(js.contains("RangeError: + would make a string of 3355") && js.contains(" characters, over limits.maxStringLength (16777216)"), grow + ": " + js);
        }
        assertEquals("\"Hello, World!\"", load("ok.js", "function f(n) { return 'Hello, ' + n + '!'; }").call("f", new Object[] {"World"},
                started(load("ok2.js", "function f() {}"))).toString(), "ordinary concatenation is untouched");
    }

    private static Budget started(Program p) {
        Budget b = p.budget();
        b.start(300, 256 << 20);
        return b;
    }

    @Test
    void aThrownMessageIsOneShortLine() {
        for (String[] c : new String[][] {{"a.js", "function f() { throw new Error('first\\nsecond\\u001b[31m' + 'x'.repeat(1e7)); }"},
                {"a.lua", "function f() error('first\\nsecond\\27[31m' .. string.rep('x', 1e7)) end"}}) {
            String said = failure(c[0], c[1]);
            assertTrue(said.length() < 5000, c[0] + ": " + said.length() + " characters");
            assertTrue(!said.contains("\n") && !said.contains("\u001b") && said.contains("first\\nsecond\\x1b[31m"), c[0] + ": " + said.substring(0, 100));
        }
    }

    /** Lua's own ways of never ending and of taking the heap, at the top level and in a call. */
    @Test
    void luaLoopsAndHogsAreStoppedByTheBudget() {
        Budget.Exceeded top = assertTimeoutPreemptively(HANG, () -> assertThrows(Budget.Exceeded.class, () -> load("top.lua", "while true do end")));
        assertTrue(top.getMessage().startsWith("ran past its CPU budget of 300 ms"), top.getMessage());
        Budget.Exceeded hog = assertTimeoutPreemptively(HANG, () -> {
            Program p = load("hog.lua", "function f() local t = {} while true do t[#t + 1] = string.rep('x', 65536) .. #t end end");
            Budget b = p.budget();
            b.start(5_000, 32 << 20);
            return assertThrows(Budget.Exceeded.class, () -> p.call("f", new Object[0], b));
        });
        assertTrue(hog.memory() && hog.getMessage().startsWith("allocated more than its 32 MiB"), hog.getMessage());
    }
}
