package io.atrium.transport.support.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.atrium.transport.support.ManifestFields;
import org.junit.jupiter.api.Test;

/** A manifest's restart policy, read and applied as a manifest's author would expect of large numbers. */
class RestartTest {

    private static Restart read(String restart) {
        return Restart.read(ManifestFields.parse("{\"restart\": " + restart + "}", "{ \"restart\": { … } }"));
    }

    @Test
    void theBackoffDoublesUpToItsMostAndALargeOneIsCappedNotWrappedToNoWaitAtAll() {
        Restart r = read("{\"initialBackoffMs\": 100, \"maxBackoffMs\": 350}");
        assertEquals(100, r.backoffMs(1));
        assertEquals(200, r.backoffMs(2));
        assertEquals(350, r.backoffMs(3));

        Restart huge = read("{\"initialBackoffMs\": 4611686018427387904, \"maxBackoffMs\": 9223372036854775807}"); // 2^62, Long.MAX_VALUE
        assertEquals(4611686018427387904L, huge.backoffMs(1));
        assertEquals(Long.MAX_VALUE, huge.backoffMs(2), "2^63 does not fit: the most, not a negative wait");
        assertEquals(Long.MAX_VALUE, huge.backoffMs(3), "2^64 does not fit: the most, not no wait at all");
    }

    @Test
    void maxRestartsBeyondAnIntIsAsManyAsCanBeCountedNotAFewOrNone() {
        assertEquals(Integer.MAX_VALUE, read("{\"maxRestarts\": 4294967296}").maxRestarts(), "2^32, not 0 (every crash failing the plugin)");
        assertEquals(Integer.MAX_VALUE, read("{\"maxRestarts\": 2147483648}").maxRestarts(), "2^31, not a negative count");
        assertEquals(7, read("{\"maxRestarts\": 7}").maxRestarts());
    }
}
