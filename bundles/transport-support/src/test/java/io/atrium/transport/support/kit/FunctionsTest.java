package io.atrium.transport.support.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.atrium.api.PluginException;
import io.atrium.api.PluginRejectedException;
import io.atrium.transport.support.ManifestFields;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionsTest {
    private static ManifestBasics basics(String json) {
        return ManifestBasics.read(Path.of("x.echo.json"), ManifestFields.parse(json, "{}"), ".echo.json");
    }

    private static String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> basics(json)).getMessage();
    }

    @Test
    void aManifestNamingNoContractIsAnInvocableWithTheFunctionsItLists() {
        ManifestBasics b = basics("{\"version\": \"1\", \"functions\": [\"count_vowels\", \"_x9\"]}");
        assertEquals("io.atrium.api.Invocable", b.contract());
        assertEquals(List.of("count_vowels", "_x9"), b.functions());
        assertEquals(List.of(), basics("{\"version\": \"1\", \"contract\": \"a.B\"}").functions());
        assertEquals("field 'functions': only a plugin with no contract declares functions (the methods of B are its functions); "
                + "drop 'contract' or 'functions'", refusal("{\"version\": \"1\", \"contract\": \"a.B\", \"functions\": [\"f\"]}"));
        for (String bad : new String[] {"atrium.ping", "9lives", "", "a-b", "é", "x".repeat(129)}) {
            assertEquals("field 'functions': '" + bad + "' is not a function name (letters, digits and '_', not starting with a digit, at most 128)",
                    refusal("{\"version\": \"1\", \"functions\": [\"" + bad + "\"]}"), bad);
        }
        assertEquals("field 'functions': a function is listed twice", refusal("{\"version\": \"1\", \"functions\": [\"f\", \"f\"]}"));
        assertEquals("field 'functions': expected an array of strings, found 1 in it", refusal("{\"version\": \"1\", \"functions\": [1]}"));
    }

    @Test
    void aNameIsCheckedBeforeThePluginSeesIt() {
        assertEquals("f", Functions.checked("p", "f", List.of("f", "g")));
        assertEquals("anything", Functions.checked("p", "anything", null), "the transport cannot tell: the plugin answers");
        assertEquals("plugin 'p': has no function 'h' (it has: f, g)",
                assertThrows(PluginRejectedException.class, () -> Functions.checked("p", "h", List.of("g", "f"))).getMessage());
        assertEquals("plugin 'p': has no function 'h' (it has: none)",
                assertThrows(PluginRejectedException.class, () -> Functions.checked("p", "h", List.of())).getMessage());
        assertEquals("plugin 'p': 'a\\nb' is not a function name (letters, digits and '_', not starting with a digit)",
                assertThrows(PluginRejectedException.class, () -> Functions.checked("p", "a\nb", null)).getMessage(), "in one line");
        assertEquals("plugin 'p': no function is not a function name (letters, digits and '_', not starting with a digit)",
                assertThrows(PluginRejectedException.class, () -> Functions.checked("p", null, null)).getMessage());
    }

    @Test
    void aRefusalNamesAFewOfAModulesManyFunctions() {
        // a module may export thousands: each refused name a caller makes up must not answer with all of them
        List<String> many = java.util.stream.IntStream.range(0, 3000).mapToObj(i -> String.format("f%04d", i)).toList();
        assertEquals("plugin 'p': has no function 'h' (it has: f0000, f0001, f0002, f0003, f0004, f0005, f0006, f0007, f0008, f0009 "
                + "and 2990 more)", assertThrows(PluginRejectedException.class, () -> Functions.checked("p", "h", many)).getMessage());
        assertEquals("plugin 'p': has no function 'h' (it has: f0000, f0001, f0002, f0003, f0004, f0005, f0006, f0007, f0008, f0009)",
                assertThrows(PluginRejectedException.class, () -> Functions.checked("p", "h", many.subList(0, 10))).getMessage());
    }

    @Test
    void argumentsSpreadOverLinesCrossAsOneLine() {
        // JSON allows line breaks between tokens; a process plugin reads one message a line, so arguments sent as
        // they came would end the request early, and the rest of the input would be a message of the caller's
        assertEquals("[2,3]", Functions.jsonArguments("p", "f", "[2,\n3]"));
        assertEquals("{\"a\":1}", Functions.jsonArguments("p", "f", "{\"a\":\r\n 1}"));
        assertEquals("[\"x\"]", Functions.jsonArguments("p", "f", "\n\"x\"\t"));
        String injection = "[1,\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"atrium.shutdown\"}\n]";
        assertEquals("[1,{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"atrium.shutdown\"}]", Functions.jsonArguments("p", "f", injection));
    }

    @Test
    void theInputOfAPluginOfJsonIsItsArguments() {
        assertEquals("[]", Functions.jsonArguments("p", "f", ""));
        assertEquals("[]", Functions.jsonArguments("p", "f", null));
        assertEquals("[1,2]", Functions.jsonArguments("p", "f", " [1,2] "));
        assertEquals("{\"a\":1}", Functions.jsonArguments("p", "f", "{\"a\":1}"));
        assertEquals("[\"World\"]", Functions.jsonArguments("p", "f", "\"World\""));
        assertEquals("[null]", Functions.jsonArguments("p", "f", "null"));
        for (String bad : new String[] {"World", "[1,", "1 2", "{'a': 1}", "[1] // x"}) {
            assertThrows(PluginRejectedException.class, () -> Functions.jsonArguments("p", "f", bad), bad);
        }
        assertThrows(PluginRejectedException.class, () -> Functions.jsonArguments("p", "f", "[".repeat(300) + "]".repeat(300)), "too deep");
        Functions.checkJson("p", "f", "{\"count\":3}");
        assertEquals("plugin 'p': f returned 'not json', which is not JSON",
                assertThrows(PluginException.class, () -> Functions.checkJson("p", "f", "not json")).getMessage());
    }
}
