package io.atrium.transport.script.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code replace}, {@code replaceAll} and {@code JSON.stringify} answer as the language says (every template token,
 * functions, replacers, indents), while what each adds is counted against {@code limits.maxStringLength} as it is made.
 */
class StringBuildingBuiltInsTest {
    private static String js(String expression) {
        Program p = HostileScriptsTest.load("r.js", "function f() { return " + expression + "; }");
        Budget b = p.budget();
        b.start(300, 256 << 20);
        return p.call("f", new Object[0], b).getAsString();
    }

    @Test
    void templatesAndFunctionsMakeWhatTheLanguageSays() {
        assertEquals("a[a|b|c]c", js("'abc'.replace('b', '[$`|$&|$\\']')"));
        assertEquals("Smith, John", js("'John Smith'.replace(/(\\w+)\\s(\\w+)/, '$2, $1')"));
        assertEquals("$$$", js("'aaa'.replace(/a/g, '$$')"), "$$ is one $");
        assertEquals("$0", js("'x'.replace('x', '$0')"));
        assertEquals("ab1c", js("'abc'.replace(/(b)/, '$11')"), "$11 with one capture is $1 then 1");
        assertEquals("a$1c", js("'abc'.replace(/b/, '$1')"), "no capture: the text as it is");
        assertEquals("abbcbb", js("'abcb'.replaceAll('b', '$&$&')"));
        assertEquals("aB13c", js("'abc'.replace(/b/, function (m, p, s) { return m.toUpperCase() + p + s.length; })"));
        assertEquals("a$<x>c", js("'abc'.replace('b', '$<x>')"), "no named groups: $< as it is");
        assertEquals("x-y-z", js("'x y z'.replace(/ /g, () => '-')"));
        assertEquals("A-b-C", js("'a b c'.replace(/[ac]/g, function (m) { return m.toUpperCase(); }).replace(/ /g, '-')"));
    }

    @Test
    void jsonStringifyWritesWhatItDidAndStopsAtTheLimit() {
        assertEquals("{\"a\":[1,\"x\",null,true],\"b\":{\"c\":2}}", js("JSON.stringify({a: [1, 'x', null, true], b: {c: 2}, f: function () {}})"));
        assertEquals("{\n  \"a\": [\n    1\n  ]\n}", js("JSON.stringify({a: [1]}, null, 2)"));
        assertEquals("{\"a\":2,\"b\":4}", js("JSON.stringify({a: 1, b: 2}, function (k, v) { return typeof v === 'number' ? v * 2 : v; })"));
        assertEquals("{\"a\":1}", js("JSON.stringify({a: 1, b: 2}, ['a'])"), "a list of keys still works");
        assertEquals("{\"t\":\"mine\"}", js("JSON.stringify({t: {toJSON: function () { return 'mine'; }}})"));
        for (String amplify : new String[] {"(function () { let o = []; for (let i = 0; i < 40; i++) { o = [o, o]; } return JSON.stringify(o); })()",
                "(function () { let o = Array.from({length: 100000}, (_, i) => i); for (let i = 0; i < 200; i++) { o = [o]; } "
                        + "return JSON.stringify(o, null, 10); })()"}) {
            String said = HostileScriptsTest.failure("a.js", "function f() { return " + amplify + ".length; }");
            assertTrue(said.contains("RangeError: JSON.stringify would make a string of more than 16777216 characters"), amplify + ": " + said);
        }
    }

    @Test
    void aReplacementThatOutgrowsTheLimitIsARangeErrorBeforeTheNextMatch() {
        for (String amplify : new String[] {"'x'.repeat(100000).replace(/x/g, '$`')", "'x'.repeat(100000).replaceAll('x', \"$'\")",
                "'x'.repeat(1000000).replace(/x/g, () => 'y'.repeat(1000000))", "'x'.repeat(1000).replace(/x/g, '$&'.repeat(100000))"}) {
            // stopped in one line either way: at the limit, or (RegExp's statics copied at each of a million matches) by the CPU budget
            String said = HostileScriptsTest.stopped("a.js", "function f() { return " + amplify + ".length; }");
            assertTrue(said.contains("RangeError: repl") && said.contains(" would make a string of more than 16777216 characters, over "
                    + "limits.maxStringLength (16777216)") || said.startsWith("ran past its CPU budget"), amplify + ": " + said);
        }
    }
}
