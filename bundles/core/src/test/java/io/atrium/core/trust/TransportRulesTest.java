package io.atrium.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What io.atrium.trust says of transports, read once: any well-formed transport id, none of them known in advance. */
class TransportRulesTest {
    final List<String> malformed = new ArrayList<>();

    TransportRules of(Map<String, Object> properties) {
        return TransportRules.of(properties, malformed::add);
    }

    @Test
    void unsetEveryTransportIsAllowedAndNothingIsRequired() {
        TransportRules r = of(Map.of());
        for (String t : List.of("bundle", "process", "wasm", "grpc", "lua-script")) {
            assertNull(r.refusal(t), t);
            assertFalse(r.pins(t) || r.signs(t), t);
        }
        assertFalse(r.linksOutside());
        assertEquals("all", r.allowedText());
        assertEquals(List.of(), malformed);
    }

    @Test
    void anyWellFormedIdIsAcceptedAlsoOneNoInstalledTransportDeclares() {
        TransportRules r = of(Map.of("transports", "wasm, grpc-go", "requirePins", "lua", "requireSignedManifests", new String[] {"native", "Process"}));
        assertEquals("the trust policy allows only wasm, grpc-go plugins (io.atrium.trust transports)", r.refusal("process"));
        assertEquals("the trust policy allows only wasm, grpc-go plugins (io.atrium.trust transports)", r.refusal("bundle"));
        assertNull(r.refusal("grpc-go"));
        assertTrue(r.pins("lua") && !r.pins("wasm"));
        assertTrue(r.signs("native") && r.signs("process"), "read in lower case, as configurations always were");
        assertEquals("wasm, grpc-go", r.allowedText());
        assertEquals(List.of(), malformed);
    }

    @Test
    void anEmptyListAllowsNothing() {
        assertEquals("the trust policy allows only no plugins (io.atrium.trust transports)", of(Map.of("transports", "")).refusal("wasm"));
    }

    @Test
    void aStarNamesEveryTransportThoseInstalledLaterToo() {
        TransportRules r = of(Map.of("requirePins", "*", "requireSignedManifests", "*"));
        assertTrue(r.pins("process") && r.pins("some-transport-of-tomorrow") && r.signs("wasm") && r.signs("x"));
    }

    @Test
    void aMalformedIdIsOneLineNamingTheKeyAndTheValueAndFailsClosed() {
        TransportRules r = of(Map.of("transports", "wasm, my_transport", "requirePins", "a b, process"));
        assertEquals(List.of("transports names 'my_transport', which is not a transport id (lower-case letters, digits and -) or *; left out",
                "requirePins names 'a b', which is not a transport id (lower-case letters, digits and -) or *; read as requirePins = *"),
                malformed);
        assertNull(r.refusal("wasm"));
        assertEquals("the trust policy allows only wasm plugins (io.atrium.trust transports)", r.refusal("my_transport"));
        assertTrue(r.pins("process") && r.pins("wasm") && r.pins("some-other"), "a typo in what must be pinned pins every transport");
        assertFalse(r.signs("process"));
        assertEquals("requireSignedManifests names 'p/q', which is not a transport id (lower-case letters, digits and -) or *",
                TransportRules.problem("requireSignedManifests", "process, p/q"));
        assertNull(TransportRules.problem("transports", "bundle, grpc, *"));
    }

    @Test
    void inProcessAsPluginListsShowItNamesBundles() {
        TransportRules r = of(Map.of("transports", "In-Process, wasm"));
        assertNull(r.refusal("bundle"));
        assertNull(r.refusal("wasm"));
        assertEquals("bundle, wasm", r.allowedText());
        assertEquals(List.of(), malformed);
        assertEquals("the trust policy allows only wasm plugins (io.atrium.trust transports)", of(Map.of("transports", "wasm")).refusal("bundle"));
    }

    @Test
    void bundlesInAListOfWhatManifestsMustBringAreLeftOutInOneLine() {
        TransportRules r = of(Map.of("requirePins", "bundle, process", "requireSignedManifests", "in-process"));
        assertEquals(List.of("requirePins names 'bundle', which deploys no manifests (bundles are judged by bundleSignatures); left out",
                "requireSignedManifests names 'in-process', which deploys no manifests (bundles are judged by bundleSignatures); left out"),
                malformed.stream().sorted().toList());
        assertTrue(r.pins("process") && !r.pins("wasm"), "the list stands as written otherwise");
        assertFalse(r.signs("process") || r.signs("wasm"));
        assertNull(TransportRules.problem("requirePins", "bundle"), "not unreadable: it opens nothing");
    }

    @Test
    void theIdsNamedAreThoseToCheckAgainstTheTransportsInstalled() {
        assertEquals(java.util.Set.of("grpc", "lua", "wasm"),
                of(Map.of("transports", "bundle, wasm, grpc", "requirePins", "*", "requireSignedManifests", "lua")).named());
    }

    @Test
    void linksOutsideAreAllowedOnlyWhenSaidSo() {
        assertTrue(of(Map.of("allowLinksOutside", " TRUE ")).linksOutside());
        assertFalse(of(Map.of("allowLinksOutside", "yes")).linksOutside());
    }

    @Test
    void theStrictestPolicyRequiresSignaturesAndPinsOfEveryTransport() {
        Map<String, Object> strictest = PolicyFile.strictest("it holds no property", "atrium.config.file", "io.atrium.trust.cfg");
        TransportRules r = TransportRules.of(strictest, why -> {
            throw new AssertionError(why);
        });
        for (String t : List.of("process", "wasm", "a-transport-installed-later")) {
            assertTrue(r.pins(t) && r.signs(t), t);
        }
    }
}
