package io.atrium.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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

    @Test
    void aDescriptorNamesAnyTransportByItsIdAndTheOldEnumStillWorks() {
        PluginDescriptor grpc = new PluginDescriptor("g", "1.0", "x.C", "grpc", List.of(), PluginState.ACTIVE, 3, "g.jar");
        assertEquals("grpc", grpc.transportId());
        assertEquals(Transport.OTHER, grpc.transport());
        PluginDescriptor old = new PluginDescriptor("p", "1.0", "x.C", Transport.PROCESS, List.of(), PluginState.ACTIVE, 3, "p.json");
        assertEquals("process", old.transportId());
        assertEquals(Transport.PROCESS, old.transport());
        assertEquals(new PluginDescriptor("p", "1.0", "x.C", "process", List.of(), PluginState.ACTIVE, 3, "p.json"), old);
        assertEquals("transport id 'gRPC' is not lower-case letters, digits and '-'", assertThrows(IllegalArgumentException.class,
                () -> new PluginDescriptor("g", "1.0", "x.C", "gRPC", List.of(), PluginState.ACTIVE, 3, "g.jar")).getMessage());
    }
}
