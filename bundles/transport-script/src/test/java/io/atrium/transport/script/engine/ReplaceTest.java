package io.atrium.transport.script.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code replace} and {@code replaceAll} answer as the language says (every template token, functions), while
 * each match's text is counted against {@code limits.maxStringLength} as it is made.
 */
class ReplaceTest {
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
    void aReplacementThatOutgrowsTheLimitIsARangeErrorBeforeTheNextMatch() {
        for (String amplify : new String[] {"'x'.repeat(100000).replace(/x/g, '$`')", "'x'.repeat(100000).replaceAll('x', \"$'\")",
                "'x'.repeat(1000000).replace(/x/g, () => 'y'.repeat(1000000))", "'x'.repeat(1000).replace(/x/g, '$&'.repeat(100000))"}) {
            String said = HostileScriptsTest.failure("a.js", "function f() { return " + amplify + ".length; }");
            assertTrue(said.contains("RangeError: repl") && said.contains(" would make a string of more than 16777216 characters, over "
                    + "limits.maxStringLength (16777216)"), amplify + ": " + said);
        }
    }
}
