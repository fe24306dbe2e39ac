package io.atrium.transport.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class PluginLogTest {
    @Test
    void anHclogLineIsLoggedAtItsLevelWithItsModuleAndFields() {
        PluginLog.Line l = PluginLog.parse("{\"@level\":\"warn\",\"@message\":\"disk nearly full\",\"@module\":\"kv\","
                + "\"@timestamp\":\"2026-12-03T10:00:00.000000Z\",\"free\":12,\"path\":\"/var/lib/kv\",\"note\":\"two words\",\"empty\":\"\"}");
        assertEquals(Level.WARNING, l.level());
        assertEquals("kv: disk nearly full free=12 path=/var/lib/kv note=\"two words\" empty=\"\"", l.text());
        assertEquals(new PluginLog.Line(Level.SEVERE, "boom"), PluginLog.parse("{\"@level\":\"error\",\"@message\":\"boom\"}"));
        assertEquals(Level.FINE, PluginLog.parse("{\"@message\":\"m\",\"@level\":\"debug\"}").level(), "the keys in any order");
        assertEquals(Level.FINER, PluginLog.parse("{\"@level\":\"trace\",\"@message\":\"m\"}").level());
    }

    @Test
    void aLineThatIsNotHclogIsLoggedAsItIs() {
        assertEquals(new PluginLog.Line(Level.INFO, "{\"@level\": broken"), PluginLog.parse("{\"@level\": broken"));
        assertEquals(new PluginLog.Line(Level.INFO, "{\"@level\":[1]}").level(), PluginLog.parse("{\"@level\":[1]}").level());
        assertEquals(new PluginLog.Line(Level.INFO, "[1, \"@level\"]"), PluginLog.parse("[1, \"@level\"]"));
        assertEquals(new PluginLog.Line(Level.WARNING, "[WARN] low"), PluginLog.parse("[WARN] low"));
        assertEquals(new PluginLog.Line(Level.SEVERE, "Traceback (most recent call last):"), PluginLog.parse("Traceback (most recent call last):"));
    }

    @Test
    void theTextLoggedIsReturnedForThePluginsLastWords() {
        assertEquals("bye code=3", new PluginLog("t").stderr("{\"@level\":\"error\",\"@message\":\"bye\",\"code\":3}"));
    }
}
