package io.atrium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Set;

/**
 * Whatever a configuration file of the plugin folder holds, read as PID.cfg and as FACTORY~NAME.json, it
 * is a configuration Config Admin takes (values of its types only) or an IllegalArgumentException whose
 * one line the deployer shows.
 */
class ConfigFileFuzzTest {
    /** The scalar types Config Admin takes and ConfigFile gives; arrays hold one of them. */
    static final Set<Class<?>> SCALARS = Set.of(String.class, Boolean.class, Long.class, Double.class);

    @FuzzTest
    void anyFileIsAConfigurationOrOneLineRefusal(byte[] content) {
        check("fuzz.pid.cfg", content);
        check("fuzz.factory~one.json", content);
    }

    private static void check(String fileName, byte[] content) {
        ConfigFile c;
        try {
            c = ConfigFile.parse(fileName, content);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            assertNotNull(msg, "a reason");
            assertFalse(msg.isBlank() || msg.contains("\n") || msg.contains("\r"), () -> "one line: " + msg);
            return;
        }
        assertEquals(fileName, c.properties().get(ConfigFile.FILE_PROPERTY));
        c.properties().forEach((k, v) -> {
            Class<?> type = v.getClass().isArray() ? v.getClass().getComponentType() : v.getClass();
            assertTrue(SCALARS.contains(type), () -> k + " is a " + v.getClass());
        });
    }
}
