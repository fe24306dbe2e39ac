package io.atrium.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Capability;
import io.atrium.core.trust.CapabilityRules;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import tracked.contract.Echo;

/**
 * The tracker in a real Felix framework: a real bundle registers real services, and the tracker, on
 * the system bundle's context as the core's would be, classifies them and tells its listeners.
 */
class PluginTrackerTest {
    private static final String ECHO = Echo.class.getName();

    @TempDir
    Path storage;
    Felix felix;
    BundleContext plugin;
    CapabilityRules rules;
    PluginTracker tracker;
    final Recorder first = new Recorder();
    final Recorder second = new Recorder();

    /** Every call a listener gets, in order, as one line each. */
    static final class Recorder implements PluginTracker.Listener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void added(PluginService s) {
            events.add("added " + s.name() + " " + (s.admitted() ? "admitted" : s.refusal()));
        }

        @Override
        public void modified(PluginService before, PluginService now) {
            events.add("modified " + now.name() + " " + before.descriptor().version() + " -> " + now.descriptor().version());
        }

        @Override
        public void removed(PluginService s) {
            events.add("removed " + s.name());
        }

        @Override
        public void rejudged(PluginService before, PluginService now) {
            events.add("rejudged " + now.name() + " " + (now.admitted() ? "admitted" : now.refusal()));
        }
    }

    @BeforeEach
    void start() throws Exception {
        felix = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                // the contract's package comes from this class path, so its annotation is the server's @PluginContract
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "tracked.contract;version=1.0.0"));
        felix.start();
        // a transport's bundle: it declares the id its plugin services name
        Bundle b = felix.getBundleContext().installBundle("t.plugin", bundle("t.plugin", "2.0.0", "tracked.contract", "io.atrium.artifact;kind=grpc"));
        b.start();
        plugin = b.getBundleContext();
        rules = new CapabilityRules(Map.of());
        tracker = new PluginTracker(felix.getBundleContext(), rules);
    }

    @AfterEach
    void stop() throws Exception {
        tracker.deactivate();
        felix.stop();
        felix.waitForStop(10_000);
    }

    /** A bundle of nothing but a manifest: its services are objects of this class path, as a plugin's would be. */
    static ByteArrayInputStream bundle(String bsn, String version, String imports) throws Exception {
        return bundle(bsn, version, imports, null);
    }

    static ByteArrayInputStream bundle(String bsn, String version, String imports, String provides) throws Exception {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, bsn);
        a.putValue(Constants.BUNDLE_VERSION, version);
        a.putValue(Constants.IMPORT_PACKAGE, imports);
        if (provides != null) {
            a.putValue(Constants.PROVIDE_CAPABILITY, provides);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new JarOutputStream(out, m).close();
        return new ByteArrayInputStream(out.toByteArray());
    }

    ServiceRegistration<?> echo(String... properties) {
        Hashtable<String, Object> props = new Hashtable<>();
        for (int i = 0; i < properties.length; i += 2) {
            props.put(properties[i], properties[i + 1]);
        }
        return plugin.registerService(ECHO, (Echo) text -> text, props);
    }

    @Test
    void eachServiceIsClassifiedOnceAndEveryListenerToldTheSame() {
        tracker.track(first);
        ServiceRegistration<?> reg = echo("atrium.plugin.name", "remote", "atrium.plugin.transport", "grpc",
                "atrium.plugin.capabilities", "greet;version=2");
        plugin.registerService(Runnable.class, () -> { }, null); // no plugin: nobody is told
        tracker.track(second); // told of what stands

        PluginService s = tracker.classified(reg.getReference());
        assertSame(s, tracker.classified(reg.getReference()), "classified once, then looked up");
        assertTrue(s.admitted());
        assertEquals(ECHO, s.descriptor().contract());
        assertEquals("grpc", s.descriptor().transportId());
        assertEquals("2.0.0", s.descriptor().version(), "the bundle's version when the service names none");
        assertEquals(List.of(Capability.parse("greet;version=2")), s.descriptor().capabilities());
        assertEquals(List.of("added remote admitted"), first.events);
        assertEquals(first.events, second.events);

        reg.unregister();
        assertEquals(List.of("added remote admitted", "removed remote"), first.events);
    }

    @Test
    void aServiceWithoutATransportIsInProcessAndTheCoresOwnAndFacadesAreNoPlugins() {
        ServiceRegistration<?> plain = echo("atrium.plugin.name", "plain");
        assertEquals("in-process", tracker.classified(plain.getReference()).descriptor().transportId());
        ServiceRegistration<?> own = felix.getBundleContext().registerService(ECHO, (Echo) t -> t, null);
        assertFalse(tracker.classified(own.getReference()).isPlugin(), "the core's own service");
        ServiceRegistration<?> facade = echo("atrium.plugin.name", "plain", "atrium.facade", "true");
        assertFalse(tracker.classified(facade.getReference()).isPlugin(), "a facade stands in for a plugin, it is none");
    }

    @Test
    void aServiceNamingATransportItsBundleDoesNotDeclareIsRefused() throws Exception {
        tracker.track(first);
        Bundle other = felix.getBundleContext().installBundle("t.claimer", bundle("t.claimer", "1.0.0", "tracked.contract"));
        other.start();
        ServiceRegistration<?> reg = other.getBundleContext().registerService(ECHO, (Echo) text -> text,
                new Hashtable<>(Map.of("atrium.plugin.name", "sandboxed", "atrium.plugin.transport", "wasm")));
        PluginService s = tracker.classified(reg.getReference());
        assertEquals("is refused: it names the transport 'wasm', which its bundle t.claimer does not declare (a transport's bundle "
                + "declares its id: Provide-Capability: io.atrium.artifact;kind=wasm)", s.refusal());
        assertFalse(s.admitted());
        ServiceRegistration<?> plain = other.getBundleContext().registerService(ECHO, (Echo) text -> text,
                new Hashtable<>(Map.of("atrium.plugin.name", "plain", "atrium.plugin.transport", "in-process")));
        assertTrue(tracker.classified(plain.getReference()).admitted(), "in-process is every bundle's");
        assertTrue(tracker.classified(echo("atrium.plugin.name", "remote", "atrium.plugin.transport", "grpc").getReference()).admitted(),
                "the bundle that declares grpc");
    }

    @Test
    void aPluginBundleThatDeclaresOneOfTheServersTransportsMayNotNameIt() throws Exception {
        felix.getBundleContext().installBundle("atrium:base/t.wasm", bundle("t.wasm", "1.0.0", "tracked.contract", "io.atrium.artifact;kind=wasm"));
        Bundle claimer = felix.getBundleContext().installBundle("t.claimer2", bundle("t.claimer2", "1.0.0", "tracked.contract",
                "io.atrium.artifact;kind=wasm"));
        claimer.start();
        ServiceRegistration<?> reg = claimer.getBundleContext().registerService(ECHO, (Echo) text -> text,
                new Hashtable<>(Map.of("atrium.plugin.name", "sandboxed", "atrium.plugin.transport", "wasm")));
        assertEquals("is refused: it names the transport 'wasm', which is one of the server's own; bundle t.claimer2 may not run plugins as it",
                tracker.classified(reg.getReference()).refusal());
        assertTrue(tracker.classified(echo("atrium.plugin.name", "remote", "atrium.plugin.transport", "grpc").getReference()).admitted(),
                "an id of its own it declares");
    }

    @Test
    void aMalformedTransportIdIsRefusedInOneLineAndStaysHidden() {
        tracker.track(first);
        ServiceRegistration<?> reg = echo("atrium.plugin.name", "bad", "atrium.plugin.transport", "Grpc");
        PluginService s = tracker.classified(reg.getReference());
        assertEquals("is refused: transport id 'Grpc' is not lower-case letters, digits and '-'", s.refusal());
        assertTrue(s.backing(), "hidden behind the facade it does not get");
        assertFalse(s.admitted());
        assertEquals(List.of("added bad " + s.refusal()), first.events);
    }

    @Test
    void thePolicyIsAppliedOncePerServiceAndOncePerChange() {
        ServiceRegistration<?> greets = echo("atrium.plugin.name", "greets", "atrium.plugin.capabilities", "greet");
        ServiceRegistration<?> mute = echo("atrium.plugin.name", "mute");
        tracker.track(first);
        tracker.track(second);
        assertEquals(List.of("added greets admitted", "added mute admitted"), first.events.stream().sorted().toList());

        rules.modified(Map.of(ECHO, "greet"));
        String lacking = "is refused: it lacks the capability greet, which the configuration io.atrium.capabilities requires of every Echo";
        assertEquals(List.of("added greets admitted", "added mute admitted", "rejudged mute " + lacking),
                first.events.stream().sorted().toList(), "only the plugin whose admission changed, once");
        assertEquals(lacking, tracker.classified(mute.getReference()).refusal());
        assertNull(tracker.classified(greets.getReference()).refusal());

        rules.modified(Map.of(ECHO, "greet")); // the same policy again: nothing changes, nobody is told
        assertEquals(3, first.events.size());
        rules.modified(Map.of());
        assertEquals("rejudged mute admitted", first.events.get(3));
        assertEquals(first.events, second.events);
    }

    @Test
    void changedPropertiesAreDescribedAgainAndJudgedAgain() {
        rules.modified(Map.of(ECHO, "greet"));
        ServiceRegistration<?> reg = echo("atrium.plugin.name", "p", "atrium.plugin.version", "1.0", "atrium.plugin.capabilities", "greet");
        tracker.track(first);
        reg.setProperties(new Hashtable<>(Map.of("atrium.plugin.name", "p", "atrium.plugin.version", "1.1",
                "atrium.plugin.capabilities", "greet")));
        assertEquals("1.1", tracker.classified(reg.getReference()).descriptor().version());
        reg.setProperties(new Hashtable<>(Map.of("atrium.plugin.name", "p", "atrium.plugin.version", "1.2")));
        assertEquals(List.of("added p admitted", "modified p 1.0 -> 1.1",
                "rejudged p is refused: it lacks the capability greet, which the configuration io.atrium.capabilities requires of every Echo"),
                first.events);
    }
}
