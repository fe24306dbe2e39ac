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
        TransportFiles t = new TransportFiles(context, reg.getReference(), null, null);
        assertEquals("x", t.kind(), "got when first needed");
        assertEquals("x", t.release());

        // its unbind came while the service unregisters: a file routed to it meanwhile must not take it again
        assertEquals("x", t.kind(), "its kind is still known, for the file's row");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.deploy(new FolderEntry("a.x.json"), storage.resolve("a.x.json"), new byte[0], null));
        assertEquals("cannot be deployed: its transport has just stopped", e.getMessage());
        assertNull(reg.getReference().getUsingBundles(), "nobody holds the service it gave back");
    }
}
