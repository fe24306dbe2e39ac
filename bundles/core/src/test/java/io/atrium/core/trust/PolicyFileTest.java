package io.atrium.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trust policy's file, read strictly: transports are named by any well-formed id. */
class PolicyFileTest {
    static final String FILE_KEY = "atrium.config.file";

    @Test
    void transportsNoInstalledTransportDeclaresAreAccepted() {
        assertNull(PolicyFile.unreadable(Map.of(FILE_KEY, "io.atrium.trust.cfg", "transports", "bundle, grpc",
                "requirePins", "lua, wasm", "requireSignedManifests", "*"), FILE_KEY));
    }

    @Test
    void aMalformedTransportIdMakesTheFileUnreadableInOneLine() {
        assertEquals("transports names 'Grpc Go', which is not a transport id (lower-case letters, digits and -) or *",
                PolicyFile.unreadable(Map.of(FILE_KEY, "f", "transports", "wasm, Grpc Go"), FILE_KEY));
        assertEquals("requirePins names 'process;', which is not a transport id (lower-case letters, digits and -) or *",
                PolicyFile.unreadable(Map.of(FILE_KEY, "f", "requirePins", "process;"), FILE_KEY));
    }
}
