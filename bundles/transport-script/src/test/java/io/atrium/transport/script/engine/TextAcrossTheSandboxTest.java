package io.atrium.transport.script.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Strings cross into a script and back unchanged in both engines, whatever their characters: ASCII takes a
 * shorter way than the rest, and both must agree with the script's own view of the text.
 */
class TextAcrossTheSandboxTest {
    private static final String[] TEXTS = {"", "World", "ünïcödé", "日本語", "emoji 😀 and 𝄞", "nul \u0000 inside", "tab\tand\nnewline",
            "\u007f", "\u0080", "lone \ud800 surrogate"};

    @Test
    void aStringComesBackAsItWentInAndTheScriptSeesItsCharacters() {
        Program js = HostileScriptsTest.load("echo.js", "function f(s) { return s; }\nfunction g(s) { return '<' + s + '>'; }");
        Program lua = HostileScriptsTest.load("echo.lua", "function f(s) return s end\nfunction g(s) return '<' .. s .. '>' end");
        for (String text : TEXTS) {
            for (Program p : new Program[] {js, lua}) {
                Budget b = p.budget();
                b.start(1_000, 64 << 20);
                assertEquals(text, p.call("f", new Object[] {text}, b).getAsString(), p + " echoes " + text);
                b.start(1_000, 64 << 20);
                assertEquals("<" + text + ">", p.call("g", new Object[] {text}, b).getAsString(), p + " wraps " + text);
            }
        }
    }

    @Test
    void luaCountsTheBytesOfTheUtf8ItIsGiven() {
        // Lua's strings are bytes: # is the UTF-8 length, so the script sees the text as UTF-8 whichever way it came in
        Program lua = HostileScriptsTest.load("len.lua", "function f(s) return #s end");
        for (String text : new String[] {"World", "ünï", "😀"}) {
            Budget b = lua.budget();
            b.start(1_000, 64 << 20);
            int expected = text.equals("😀") ? 6 : text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length; // LuaJ: a surrogate pair as two 3-byte sequences
            assertEquals(expected, lua.call("f", new Object[] {text}, b).getAsInt(), text);
        }
    }
}
