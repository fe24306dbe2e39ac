package io.atrium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
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
        if (fileName.endsWith(".json")) {
            // a whole number is the number written, never one wrapped around to fit a long
            JsonObject written = JsonParser.parseString(new String(content, StandardCharsets.UTF_8)).getAsJsonObject();
            c.properties().forEach((k, v) -> {
                if (v instanceof Long n) {
                    assertEquals(0, new BigDecimal(written.get(k).getAsString()).compareTo(BigDecimal.valueOf(n)), () -> k + " read as " + n);
                }
            });
        }
    }
}
