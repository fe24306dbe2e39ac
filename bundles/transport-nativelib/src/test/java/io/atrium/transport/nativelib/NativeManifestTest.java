package io.atrium.transport.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.transport.nativelib.manifest.NativeManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Each field of NAME.native.json, and a one-line reason for each that is wrong. */
class NativeManifestTest {
    private static final Path FILE = Path.of("/plugins/greeter.native.json");

    private static NativeManifest parse(String json) {
        return NativeManifest.parse(FILE, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json)).getMessage();
    }

    @Test
    void theDefaultsAreAnIsolatedLibraryCalledByItsMethodsNames() {
        NativeManifest m = parse("""
                {"version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "library": "libgreeter.so"}""");
        assertEquals("greeter", m.name());
        assertEquals(Path.of("/plugins/libgreeter.so"), m.library());
        assertEquals(NativeManifest.Isolation.PROCESS, m.isolation());
        assertEquals("greet", m.nameFor("greet"));
        assertEquals("{}", m.config());
        assertEquals(NativeManifest.Limits.DEFAULTS, m.limits());
        assertEquals(false, m.pinned());
    }

    @Test
    void everyFieldIsRead() {
        NativeManifest m = parse("""
                {"name": "hello", "version": "2.0.0", "contract": "io.atrium.api.greeting.Greeter", "library": "libgreeter.so",
                 "sha256": "%s", "isolation": "in-process", "methods": {"greet": "Greet"}, "config": {"style": "loud", "n": 2},
                 "limits": {"callTimeoutMs": 250, "maxOutputBytes": 4096}}""".formatted("AB".repeat(32)));
        assertEquals("hello", m.name());
        assertEquals("ab".repeat(32), m.sha256());
        assertEquals(NativeManifest.Isolation.IN_PROCESS, m.isolation());
        assertEquals("Greet", m.nameFor("greet"));
        assertEquals("{\"style\":\"loud\",\"n\":2}", m.config());
        assertEquals(new NativeManifest.Limits(250, 4096), m.limits());
    }

    @Test
    void aWrongFieldIsNamedInOneLine() {
        String base = "\"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\"";
        assertEquals("field 'library': missing", refusal("{" + base + "}"));
        assertEquals("field 'library': '../lib/libx.so' is not a file beside the manifest (a library is deployed from the plugin folder itself)",
                refusal("{" + base + ", \"library\": \"../lib/libx.so\"}"));
        assertEquals("field 'library': '/usr/lib/libc.so.6' is not a file beside the manifest (a library is deployed from the plugin folder itself)",
                refusal("{" + base + ", \"library\": \"/usr/lib/libc.so.6\"}"));
        assertEquals("field 'isolation': 'sandbox' (expected process, the default, or in-process)",
                refusal("{" + base + ", \"library\": \"l.so\", \"isolation\": \"sandbox\"}"));
        assertEquals("field 'sha256': expected 64 hexadecimal digits, found 'abc'", refusal("{" + base + ", \"library\": \"l.so\", \"sha256\": \"abc\"}"));
        assertEquals("field 'methods.greet': 'not-a-name' is not a function name (letters, digits and '_')",
                refusal("{" + base + ", \"library\": \"l.so\", \"methods\": {\"greet\": \"not-a-name\"}}"));
        String zero = refusal("{" + base + ", \"library\": \"l.so\", \"limits\": {\"callTimeoutMs\": 0}}");
        assertTrue(zero.startsWith("field 'limits.callTimeoutMs'"), zero);
        assertTrue(refusal("{" + base + ", \"library\": \"/\"}").startsWith("field 'library': '/' is not a file beside the manifest"));
        assertTrue(refusal("{" + base + ", \"library\": \"lib\\nx.so\"}").startsWith("field 'library': "), "a line break in a name");
        String unknown = refusal("{" + base + ", \"library\": \"l.so\", \"isolaton\": \"in-process\"}");
        assertEquals(true, unknown.contains("isolaton"), unknown);
    }
}
