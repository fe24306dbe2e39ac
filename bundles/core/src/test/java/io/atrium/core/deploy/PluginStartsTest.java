package io.atrium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.felix.framework.Felix;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.startlevel.BundleStartLevel;

/** The starter in a real Felix framework, starting a real bundle. */
class PluginStartsTest {
    @TempDir
    Path storage;
    Felix felix;
    PluginStarts starts;

    @BeforeEach
    void start() throws Exception {
        felix = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                Constants.FRAMEWORK_BEGINNING_STARTLEVEL, String.valueOf(FolderDeployer.PLUGIN_START_LEVEL)));
        felix.start();
        starts = new PluginStarts(felix.getBundleContext());
    }

    @AfterEach
    void stop() throws Exception {
        starts.deactivate();
        felix.stop();
        felix.waitForStop(10_000);
    }

    /**
     * A reload right after an update: the update's start has returned but is not over yet (its last step
     * waits for the starter's monitor, which this test holds: a loaded machine leaves that moment too),
     * the reload stops the bundle and asks for a start. That start must start it again: it got the
     * update's start's outcome instead, and the bundle stayed stopped (HostilePluginIT's facade went).
     */
    @Test
    void aStartAskedForAfterTheStartInFlightReturnedAndTheBundleStoppedStartsItAgain() throws Exception {
        Bundle b = felix.getBundleContext().installBundle("t.plugin", plainBundle("t.plugin"));
        b.adapt(BundleStartLevel.class).setStartLevel(FolderDeployer.PLUGIN_START_LEVEL);
        CompletableFuture<Throwable> update;
        CompletableFuture<Throwable> reload;
        synchronized (starts) {
            update = starts.start(List.of(b)).get(b);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.getState() == Bundle.ACTIVE);
            b.stop(Bundle.STOP_TRANSIENT); // the framework lets it stop once the update's start has returned
            reload = starts.start(List.of(b)).get(b);
        }
        assertNull(update.get(10, TimeUnit.SECONDS));
        assertNull(reload.get(10, TimeUnit.SECONDS));
        assertEquals(Bundle.ACTIVE, b.getState(), "the reload's start started the bundle it had stopped");
    }

    /** A bundle of nothing but a manifest. */
    private static ByteArrayInputStream plainBundle(String bsn) throws Exception {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, bsn);
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new JarOutputStream(out, m).close();
        return new ByteArrayInputStream(out.toByteArray());
    }
}
