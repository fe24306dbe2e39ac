package io.atrium.transport.script.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ScriptManifestTest {
    static ScriptManifest parse(String file, String text) {
        return ScriptManifest.parse(Path.of("/plugins", file), text.getBytes(StandardCharsets.UTF_8));
    }

    static String refusal(String file, String text) {
        return assertThrows(IllegalArgumentException.class, () -> parse(file, text)).getMessage();
    }

    @Test
    void theFirstCommentIsTheManifestInEitherLanguage() {
        ScriptManifest js = parse("greeter.js", "\uFEFF#!/usr/bin/env node\n\n/* atrium\n{\"version\": \"1.2.0\", \"contract\": \"a.b.Greeter\", "
                + "\"limits\": {\"callTimeoutMs\": 50}} */\nfunction greet(n) { return n; }\n");
        assertEquals("greeter", js.name());
        assertEquals("1.2.0", js.version());
        assertEquals("a.b.Greeter", js.contract());
        assertEquals(ScriptManifest.Language.JAVASCRIPT, js.language());
        assertEquals(50, js.callTimeoutMs());
        assertEquals(ScriptManifest.Limits.DEFAULTS.maxStackDepth(), js.limits().maxStackDepth());
        ScriptManifest lua = parse("calc.lua", "--[[ atrium { \"name\": \"calc-lua\", \"version\": \"1.0.0\" } ]]\nfunction add(a, b) return a + b end\n");
        assertEquals("calc-lua", lua.name());
        assertEquals(ScriptManifest.Language.LUA, lua.language());
        assertEquals(io.atrium.transport.support.kit.ManifestBasics.NO_CONTRACT, lua.contract());
    }

    @Test
    void aBadHeaderIsRefusedInOneLineWithTheFilesLineNumbers() {
        assertTrue(refusal("a.js", "// atrium {}\n").startsWith("has no atrium header"), refusal("a.js", "// atrium {}\n"));
        assertTrue(refusal("a.js", "/* atriumx {} */").startsWith("has no atrium header"));
        assertTrue(refusal("a.lua", "/* atrium {\"version\": \"1\"} */").startsWith("has no atrium header: a script plugin starts with its manifest "
                + "in a comment, --[[ atrium"));
        assertEquals("header: the comment opened at line 2 is not closed with */", refusal("a.js", "\n/* atrium {\"version\": \"1\"}\n"));
        String json = refusal("a.js", "/* atrium\n\n{\"version\": 1.0.0} */");
        assertTrue(json.startsWith("header: not valid JSON") && json.contains("line 3"), json);
        assertEquals("field 'version': missing", refusal("a.js", "/* atrium {} */"), "said by the kit's fields");
        assertTrue(refusal("a.js", "/* atrium {\"version\": \"1\", \"name\": \"io.atrium.web\"} */").contains("has a '.'"));
        assertTrue(refusal("a.js", "/* atrium {\"version\": \"1\", \"limits\": {\"maxStackDepth\": 1000000}} */").contains("is over 10000"));
        assertTrue(refusal("a.js", "/* atrium {\"version\": \"1\", \"limits\": {\"cpu\": 1}} */").contains("cpu"));
    }

    @Test
    void whatIsNoScriptIsRefusedBeforeItsHeaderIsRead() {
        assertEquals("is empty", refusal("a.js", ""));
        assertEquals("is not UTF-8 text", assertThrows(IllegalArgumentException.class,
                () -> ScriptManifest.parse(Path.of("a.js"), new byte[] {'/', '*', (byte) 0xff})).getMessage());
        assertEquals("holds a NUL character at line 2: not a script", refusal("a.js", "/* atrium {\"version\": \"1\"} */\n\0"));
        String big = "/* atrium {\"version\": \"1\"} */\n" + "x".repeat(ScriptManifest.MAX_SOURCE_BYTES);
        assertTrue(refusal("a.js", big).endsWith("over the 4 MiB a script may be"), refusal("a.js", big));
    }
}
