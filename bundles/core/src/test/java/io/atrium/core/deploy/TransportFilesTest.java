package io.atrium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.atrium.spi.ArtifactHandler;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;
import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/** A transport's handler service as the plugin folder holds it, in a real framework's service registry. */
class TransportFilesTest {
    @TempDir
    Path storage;
    Felix felix;
    BundleContext context;

    @BeforeEach
    void start() throws Exception {
        felix = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        felix.start();
        context = felix.getBundleContext();
    }

    @AfterEach
    void stop() throws Exception {
        felix.stop();
        felix.waitForStop(10_000);
    }

    @Test
    void aReleasedHandlerIsNeverGotAgainEvenWhileItsServiceIsStillRegistered() {
        Hashtable<String, Object> props = new Hashtable<>(Map.of(ArtifactHandler.SUFFIX, ".x.json"));
        ServiceRegistration<ArtifactHandler> reg = context.registerService(ArtifactHandler.class, new ArtifactHandler() {
            @Override
            public String kind() {
                return "x";
            }

            @Override
            public Deployed deploy(Path file, byte[] content) {
                throw new IllegalArgumentException("not here");
            }

            @Override
            public void undeploy(Path file) {
            }
        }, props);
        TransportFiles t = new TransportFiles(context, reg.getReference(), null, null, new io.atrium.core.trust.CapabilityRules(Map.of()));
        assertEquals("x", t.kind(), "got when first needed");
        assertEquals("x", t.release());

        // its unbind came while the service unregisters: a file routed to it meanwhile must not take it again
        assertEquals("x", t.kind(), "its kind is still known, for the file's row");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.deploy(new FolderEntry("a.x.json"), storage.resolve("a.x.json"), new byte[0], null));
        assertEquals("cannot be deployed: its transport has just stopped", e.getMessage());
        assertNull(reg.getReference().getUsingBundles(), "nobody holds the service it gave back");
    }

    @Test
    void aPluginTheCapabilityPolicyRefusesIsListedRefusedWithItsTransportsReasonAndOneFailedOtherwiseFailed() {
        String greeter = "io.atrium.api.greeting.Greeter";
        io.atrium.core.trust.CapabilityRules capabilities = new io.atrium.core.trust.CapabilityRules(Map.of(greeter, "greet, shout"));
        String lacking = "lacks the capability shout, which the configuration io.atrium.capabilities requires of every Greeter";
        java.util.concurrent.atomic.AtomicReference<String> problem = new java.util.concurrent.atomic.AtomicReference<>(lacking);
        // a transport's listing, as the registry hands it over: the plugin failed, for the reason its transport gives
        io.atrium.spi.PluginProvider provider = new io.atrium.spi.PluginProvider() {
            @Override
            public java.util.List<io.atrium.api.PluginDescriptor> plugins() {
                return java.util.List.of(new io.atrium.api.PluginDescriptor("p", "1.0.0", greeter, "x", java.util.List.of(
                        io.atrium.api.Capability.parse("greet")), io.atrium.api.PluginState.FAILED, 0, "p.x.json"));
            }

            @Override
            public java.util.List<io.atrium.api.PluginProblem> problems() {
                return java.util.List.of(new io.atrium.api.PluginProblem("p", "p.x.json", problem.get()));
            }

            @Override
            public Map<String, String> details(String name) {
                return Map.of();
            }

            @Override
            public boolean reload(String name) {
                return false;
            }
        };
        io.atrium.core.registry.PluginCatalog catalog = new io.atrium.core.registry.PluginCatalog() {
            @Override
            public java.util.Optional<Entry> entry(String name) {
                return java.util.Optional.empty();
            }

            @Override
            public java.util.Optional<io.atrium.spi.PluginProvider> providerOf(String name) {
                return name.equals("p") ? java.util.Optional.of(provider) : java.util.Optional.empty();
            }
        };
        ServiceRegistration<ArtifactHandler> reg = context.registerService(ArtifactHandler.class, new ArtifactHandler() {
            @Override
            public String kind() {
                return "x";
            }

            @Override
            public Deployed deploy(Path file, byte[] content) {
                return new Deployed("p 1.0.0", "p", java.util.List.of());
            }

            @Override
            public void undeploy(Path file) {
            }
        }, new Hashtable<>(Map.of(ArtifactHandler.SUFFIX, ".x.json")));
        TransportFiles t = new TransportFiles(context, reg.getReference(), null, catalog, capabilities);
        FolderEntry e = new FolderEntry("p.x.json");
        e.kind = "x";
        e.plugin = "p";
        e.active("p 1.0.0");

        assertEquals(new Deployment("p.x.json", "x", "p 1.0.0", DeployState.REFUSED, -1, lacking), t.row(e));
        problem.set("is refused: it " + lacking); // as the wasm transport words it
        assertEquals(DeployState.REFUSED, t.row(e).state());
        problem.set("crashed 6 times within 60 s; last: exit status 1");
        assertEquals(new Deployment("p.x.json", "x", "p 1.0.0", DeployState.FAILED, -1, problem.get()), t.row(e),
                "it lacks a capability now, but failed for its crashes");
        problem.set(lacking);
        capabilities.modified(Map.of(greeter, "greet"));
        assertEquals(DeployState.FAILED, t.row(e).state(), "what the policy accepts now is not refused by it, whatever the transport said before");
    }
}
