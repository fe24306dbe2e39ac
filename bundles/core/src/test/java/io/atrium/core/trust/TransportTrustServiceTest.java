package io.atrium.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Capability;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trust policy as the transports ask it: the rules read once, the trust store as its files are now, the capability policy's verdict. */
class TransportTrustServiceTest {
    @TempDir
    Path home;

    final AtomicReference<TransportRules> rules = new AtomicReference<>();
    final AtomicLong generation = new AtomicLong(7);
    final CapabilityRules capabilities = new CapabilityRules(Map.of());

    TransportTrustService service(Map<String, Object> config) {
        rules.set(TransportRules.of(config, why -> {
            throw new AssertionError(why);
        }));
        // a real trust store, read from the distribution's (empty) folder at every question, as the core's watcher keeps it
        return new TransportTrustService(rules::get, () -> TrustStore.of(config, home.toString()), generation::get, capabilities, Runnable::run);
    }

    @Test
    void answersForAnyTransportIdFromTheRulesReadOnce() {
        TransportTrustService s = service(Map.of("transports", "bundle, grpc", "requirePins", "grpc", "allowLinksOutside", "true"));
        assertEquals("the trust policy allows only bundle, grpc plugins (io.atrium.trust transports)", s.transportRefusal("wasm"));
        assertNull(s.transportRefusal("grpc"));
        assertTrue(s.requiresPins("grpc"));
        assertFalse(s.requiresPins("bundle") || s.requiresSignedManifests("grpc"));
        assertTrue(s.allowsLinksOutside());
        rules.set(TransportRules.of(Map.of(), why -> { }));
        assertNull(s.transportRefusal("wasm"), "a changed policy is asked live");
        assertEquals(7 + capabilities.generation(), s.generation());
    }

    @Test
    void givesTheCapabilityPolicysVerdictAndItsChangeMakesTheGenerationGrow() {
        TransportTrustService s = service(Map.of());
        String greeter = "io.atrium.api.greeting.Greeter";
        List<Capability> declared = List.of(Capability.parse("greet"), Capability.parse("style;version=2"));
        assertNull(s.capabilityRefusal(greeter, declared));
        assertEquals(greeter + " = ", s.capabilityRule(greeter));
        long before = s.generation();

        capabilities.modified(Map.of(greeter, "greet, shout, style;version=3"));

        assertTrue(s.generation() > before, "the transports' updated methods are told of a capability policy change too");
        assertEquals("lacks the capabilities shout, style;version=3, which the configuration io.atrium.capabilities requires of every Greeter",
                s.capabilityRefusal(greeter, declared));
        assertEquals(greeter + " = greet, shout, style;version=3", s.capabilityRule(greeter));
        assertNull(s.capabilityRefusal("io.atrium.api.Other", List.of()), "a contract the policy does not name requires nothing");
        long trustChanged = s.generation();
        generation.incrementAndGet();
        assertTrue(s.generation() > trustChanged, "and of a trust policy change");
    }

    @Test
    void judgesAManifestsSignatureWhereTheTransportRequiresOne() throws Exception {
        TransportTrustService s = service(Map.of("requireSignedManifests", "grpc"));
        Path manifest = Files.writeString(home.resolve("x.grpc.json"), "{}");
        byte[] content = Files.readAllBytes(manifest);
        assertEquals("it has no signature x.grpc.json.sig, and the trust policy (io.atrium.trust requireSignedManifests) requires one",
                s.signatureRefusal("grpc", manifest, content));
        assertNull(s.signatureRefusal("wasm", manifest, content), "not required of wasm, and absent");
        Files.write(home.resolve("x.grpc.json.sig"), "not a signature".getBytes(StandardCharsets.US_ASCII));
        String wrong = "x.grpc.json.sig is not a signature of this file by a key the trust store holds";
        assertEquals(wrong, s.signatureRefusal("grpc", manifest, content));
        assertEquals(wrong, s.signatureRefusal("wasm", manifest, content), "a signature present but wrong is refused whatever is required");
    }
}
