package io.atrium.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CapabilityTest {
    @Test
    void parsesPlainAndVersionedForms() {
        assertEquals(new Capability("streaming", 0), Capability.parse(" streaming "));
        assertEquals(new Capability("greeting.lang", 2), Capability.parse("greeting.lang; version=2"));
        assertEquals("greeting.lang;version=2", Capability.parse("greeting.lang;version=2").toString());
    }

    @Test
    void aHigherVersionSatisfiesALowerRequirement() {
        assertTrue(Capability.parse("lang;version=2").satisfies(Capability.parse("lang;version=1")));
        assertFalse(Capability.parse("lang;version=1").satisfies(Capability.parse("lang;version=2")));
        assertFalse(Capability.parse("lang").satisfies(Capability.parse("other")));
    }

    @Test
    void badTextGetsAOneLineReason() {
        assertEquals("capability 'x;version=two': version is not a whole number",
                assertThrows(IllegalArgumentException.class, () -> Capability.parse("x;version=two")).getMessage());
        assertEquals("capability 'x;mode=2': expected 'name' or 'name;version=N'",
                assertThrows(IllegalArgumentException.class, () -> Capability.parse("x;mode=2")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Capability.parse(" "));
    }

    @Test
    void transportsHaveStableNames() {
        assertEquals(Transport.PROCESS, Transport.of("Process"));
        assertEquals("in-process", Transport.IN_PROCESS.toString());
        assertEquals("unknown transport 'grpc' (expected in-process, process or wasm)",
                assertThrows(IllegalArgumentException.class, () -> Transport.of("grpc")).getMessage());
    }
}
