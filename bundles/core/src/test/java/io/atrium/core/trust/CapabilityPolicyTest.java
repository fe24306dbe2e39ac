package io.atrium.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.atrium.api.Capability;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The capability policy as the core reads it, once, for the registry and every transport. */
class CapabilityPolicyTest {
    static final String GREETER = "io.atrium.api.greeting.Greeter";

    static List<Capability> caps(String... texts) {
        return java.util.Arrays.stream(texts).map(Capability::parse).toList();
    }

    @Test
    void refusesAPluginLackingWhatItsContractRequiresNamingWhatIsMissing() {
        CapabilityPolicy p = CapabilityPolicy.of(Map.of(GREETER, "greet, style;version=2"));
        assertNull(p.refusal(GREETER, caps("greet", "style;version=3")), "a later version satisfies an earlier one");
        assertEquals("lacks the capability style;version=2, which the configuration io.atrium.capabilities requires of every Greeter",
                p.refusal(GREETER, caps("greet", "style;version=1")));
        assertEquals("lacks the capabilities greet, style;version=2, which the configuration io.atrium.capabilities requires of every Greeter",
                p.refusal(GREETER, List.of()));
        assertEquals(GREETER + " = greet, style;version=2", p.rule(GREETER));
    }

    @Test
    void requiresNothingOfAContractItDoesNotNameNorOfAPluginWithoutAContract() {
        CapabilityPolicy p = CapabilityPolicy.of(Map.of(GREETER, "greet"));
        assertNull(p.refusal("io.atrium.api.Other", List.of()));
        assertEquals("io.atrium.api.Other = ", p.rule("io.atrium.api.Other"));
        assertNull(p.refusal(null, List.of()));
    }

    @Test
    void readsOnlyContractKeysAndWarnsOfAMalformedCapabilityOnceIgnoringIt() {
        List<String> warned = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger("io.atrium.capabilities");
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warned.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try {
            CapabilityPolicy p = CapabilityPolicy.of(Map.of(GREETER, "greet,  style;version=x, ,shout", "service.pid", "io.atrium.capabilities",
                    "felix.fileinstall.filename", "x", "component.name", "y", "atrium.config.file", "z"));
            assertEquals(GREETER + " = greet, shout", p.rule(GREETER));
            assertEquals(List.of("configuration io.atrium.capabilities, key " + GREETER
                    + ": capability 'style;version=x': version is not a whole number; ignored"), warned);
            assertNull(p.refusal("service.pid", List.of()), "the configuration's own properties are no contracts");
        } finally {
            log.removeHandler(h);
        }
    }
}
