package io.atrium.transport.support.kit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginState;
import io.atrium.api.PluginUnavailableException;
import io.atrium.spi.ArtifactHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The kit's lifecycle, through the smallest transport built on it ({@link EchoTransport}): real manifest
 * files, a real framework whose service registry the plugins' proxies are registered in, calls through
 * those proxies.
 */
class ManifestTransportTest {
    private static final String CONTRACT = Echo.class.getName();

    @TempDir
    Path folder;
    private Felix framework;
    private BundleContext context;
    private EchoTransport transport;
    private final SettableTrust trust = new SettableTrust();

    /** Held: the log manager keeps loggers only while someone does. */
    private final java.util.logging.Logger pluginLogs = java.util.logging.Logger.getLogger("io.atrium.plugin");
    /** The plugins' lines in the log, {@code LEVEL message}. */
    private final List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.logging.Handler handler = new java.util.logging.Handler() {
        @Override
        public void publish(java.util.logging.LogRecord r) {
            log.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        pluginLogs.addHandler(handler);
        framework = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, folder.resolve("framework").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        context = framework.getBundleContext();
        transport = new EchoTransport(context, trust);
    }

    @AfterEach
    void stop() throws Exception {
        pluginLogs.removeHandler(handler);
        transport.deactivate();
        framework.stop();
        framework.waitForStop(10_000);
    }

    private Path manifest(String name, String json) throws Exception {
        return Files.writeString(folder.resolve(name + EchoTransport.SUFFIX), json);
    }

    private ArtifactHandler.Deployed deploy(Path file) throws Exception {
        return transport.deploy(file, Files.readAllBytes(file));
    }

    private static String greeter(String reply) {
        return "{\"version\": \"1.0.0\", \"contract\": \"" + CONTRACT + "\", \"reply\": \"" + reply + "\"}";
    }

    /** @return the plugin's service as a caller finds it: by contract and name */
    private Echo service(String name) throws Exception {
        var refs = context.getServiceReferences(Echo.class, "(" + PluginProperties.NAME + "=" + name + ")");
        return refs.isEmpty() ? null : context.getService(refs.iterator().next());
    }

    private PluginDescriptor descriptor(String name) {
        return transport.plugins().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aDeployedManifestIsListedAndItsProxyRegisteredAndCalled() throws Exception {
        ArtifactHandler.Deployed d = deploy(manifest("greeter", greeter("hello ")));

        // the signature beside the manifest is watched too, for every transport (ManifestPolicy.watched)
        assertEquals(new ArtifactHandler.Deployed("greeter 1.0.0", "greeter", List.of(folder.resolve("greeter.echo.json.sig"))), d);
        assertEquals("echo", transport.kind());
        PluginDescriptor p = descriptor("greeter");
        assertEquals(PluginState.ACTIVE, p.state());
        assertEquals(CONTRACT, p.contract());
        assertEquals("greeter.echo.json", p.source());
        ServiceReference<Echo> ref = context.getServiceReferences(Echo.class, "(" + PluginProperties.NAME + "=greeter)").iterator().next();
        assertEquals("echo", ref.getProperty(PluginProperties.TRANSPORT));
        assertEquals("1.0.0", ref.getProperty(PluginProperties.VERSION));
        assertEquals("greeter.echo.json", ref.getProperty(PluginProperties.SOURCE));
        Echo echo = context.getService(ref);
        assertEquals("hello world #1", echo.echo("world"));
        assertEquals(5, echo.count("hello"));
        assertEquals("echo plugin 'greeter' (" + CONTRACT + ")", echo.toString());
        assertEquals(List.of("instance=1", "call timeout=1000 ms"), transport.details("greeter").entrySet().stream()
                .map(Object::toString).toList(), "the transport's facts, then the kit's");
        assertEquals(List.of("greeter INSTALL"), transport.events);
    }

    @Test
    void aBadManifestIsRefusedInOneLineNamingTheFieldAndTheRunningPluginKeepsServing() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);

        Files.writeString(file, "{\"contract\": \"" + CONTRACT + "\", \"reply\": \"x\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deploy(file));
        assertEquals("is not a valid echo plugin manifest: field 'version': missing", e.getMessage());
        Files.writeString(file, "{\"version\": \"2\", \"contract\": \"" + CONTRACT + "\", \"reply\": \"x\", \"replies\": 1}");
        e = assertThrows(IllegalArgumentException.class, () -> deploy(file));
        assertEquals("is not a valid echo plugin manifest: unknown field 'replies' (known: name, version, contract, contractVersion, "
                + "capabilities, functions, description, reply, failStart, awaits, callTimeoutMs, restart)", e.getMessage());
        Files.writeString(file, "{\"version\": \"2\", \"contract\": \"" + CONTRACT + "\", \"reply\": \"x\", \"capabilities\": [\"a;version=x\"]}");
        e = assertThrows(IllegalArgumentException.class, () -> deploy(file));
        assertTrue(e.getMessage().startsWith("is not a valid echo plugin manifest: field 'capabilities': "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());

        assertEquals("hello x #1", service("greeter").echo("x"));
        assertEquals(List.of("greeter INSTALL"), transport.events);
    }

    @Test
    void aContractNoBundleExportsOrThatIsNoContractIsRefused() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> deploy(manifest("nope", greeter("x").replace(CONTRACT, "com.example.Nope"))));
        assertEquals("names the contract com.example.Nope, which no bundle of the server exports", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> deploy(manifest("list", greeter("x").replace(CONTRACT, "java.util.List"))));
        assertEquals("names java.util.List, which is not a plugin contract (an interface marked @PluginContract)", e.getMessage());
        assertEquals(List.of(), transport.plugins());
    }

    @Test
    void aSecondManifestNamingTheSamePluginIsRefused() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        Path other = manifest("other", greeter("hi ").replace("{", "{\"name\": \"greeter\", "));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deploy(other));
        assertEquals("names the plugin 'greeter', which greeter.echo.json already deploys", e.getMessage());
        assertEquals("hello x #1", service("greeter").echo("x"));
    }

    @Test
    void aChangedManifestReplacesThePluginLiveUnderTheSameService() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);
        ServiceReference<?> before = context.getServiceReference(Echo.class);

        Files.writeString(file, greeter("hi ").replace("1.0.0", "1.1.0"));
        assertEquals("greeter 1.1.0", deploy(file).target());

        ServiceReference<?> after = context.getServiceReference(Echo.class);
        assertEquals(before.getProperty(Constants.SERVICE_ID), after.getProperty(Constants.SERVICE_ID));
        assertEquals("1.1.0", after.getProperty(PluginProperties.VERSION));
        assertEquals("hi x #2", service("greeter").echo("x"));
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.get(0).ended); // closed once its calls were done
        assertEquals(List.of("greeter INSTALL", "greeter UPDATE"), transport.events);
    }

    @Test
    void aChangedManifestNamingAnotherPluginReplacesTheOldOne() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);

        Files.writeString(file, greeter("hi ").replace("{", "{\"name\": \"renamed\", "));
        deploy(file);

        assertNull(service("greeter"));
        assertEquals("hi x #2", service("renamed").echo("x"));
        assertEquals(List.of("renamed"), transport.plugins().stream().map(PluginDescriptor::name).toList());
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.get(0).ended); // the old plugin's instance
        assertEquals(List.of("greeter INSTALL", "greeter UNINSTALL", "renamed INSTALL"), transport.events);
        assertEquals(List.of("greeter"), transport.removedPlugins, "what the transport kept for the old plugin goes, as at an undeploy");
    }

    @Test
    void aChangedManifestNamingAnotherContractIsANewPluginWhoseCountsTheOldOnesUninstallLeaves() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);

        Files.writeString(file, greeter("hi ").replace(CONTRACT, Reverb.class.getName()));
        deploy(file);

        assertEquals("hi x #2", ((Reverb) context.getService(context.getServiceReferences(Reverb.class, "(" + PluginProperties.NAME + "=greeter)")
                .iterator().next())).echo("x"));
        assertNull(service("greeter"), "no longer an Echo");
        assertEquals(Reverb.class.getName(), descriptor("greeter").contract());
        assertEquals(List.of("greeter INSTALL", "greeter UNINSTALL", "greeter INSTALL"), transport.events,
                "the uninstall first: the core's counts end with it, and the new plugin's install is counted");
    }

    /** Deploys the file on another thread, held once the trust policy has judged it until the test counts down afterJudging. */
    private CompletableFuture<ArtifactHandler.Deployed> deployHeldOnceJudged(Path file) throws Exception {
        transport.judged = new CountDownLatch(1);
        transport.afterJudging = new CountDownLatch(1);
        CompletableFuture<ArtifactHandler.Deployed> deploying = CompletableFuture.supplyAsync(() -> {
            try {
                return deploy(file);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(transport.judged.await(30, java.util.concurrent.TimeUnit.SECONDS));
        return deploying;
    }

    @Test
    void aPolicyTightenedWhileADeployWasJudgedByTheOneBeforeRefusesThePluginItDeployed() throws Exception {
        CompletableFuture<ArtifactHandler.Deployed> deploying = deployHeldOnceJudged(manifest("greeter", greeter("hello ")));
        // the judging of the running plugins this sets off finds none: the deploy has not listed its plugin yet
        trust.requirePins("echo");
        transport.afterJudging.countDown();
        deploying.get(30, java.util.concurrent.TimeUnit.SECONDS);

        assertEquals(PluginState.FAILED, descriptor("greeter").state());
        assertEquals("is refused: the trust policy refuses it now: it pins nothing (field sha256), and the trust policy (io.atrium.trust requirePins) "
                + "requires echo plugins to", transport.problems().get(0).reason());
        assertNull(service("greeter"));
    }

    @Test
    void aManifestRemovedWithdrawsTheServiceAndTheListing() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);
        Echo held = service("greeter");

        transport.undeploy(file);

        assertNull(service("greeter"));
        assertEquals(List.of(), transport.plugins());
        assertEquals(Map.of(), transport.details("greeter"));
        assertThrows(PluginUnavailableException.class, () -> held.echo("x"));
        assertEquals(List.of("greeter INSTALL", "greeter UNINSTALL"), transport.events);
        assertFalse(transport.reload("greeter"), "no longer this transport's");
        assertEquals(List.of("greeter"), transport.removedPlugins);
    }

    @Test
    void aStoppedPluginIsListedStoppedWithoutAServiceUntilItIsStarted() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        Echo held = service("greeter");

        assertTrue(transport.stop("greeter"));
        assertEquals(PluginState.STOPPED, descriptor("greeter").state());
        assertNull(service("greeter"));
        PluginUnavailableException e = assertThrows(PluginUnavailableException.class, () -> held.echo("x"));
        assertEquals("greeter", e.plugin());

        assertTrue(transport.start("greeter"));
        assertEquals(PluginState.ACTIVE, descriptor("greeter").state());
        assertEquals("hello x #2", service("greeter").echo("x"));
        assertFalse(transport.stop("nobody"));
        assertFalse(transport.start("nobody"));
    }

    @Test
    void aPluginAnOperatorStoppedStaysStoppedWhenItsManifestChangesOrThePolicyDoesAndAReloadStartsIt() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);
        assertTrue(transport.stop("greeter"));

        Files.writeString(file, "{\"version\": \"2.0.0\", \"contract\": \"" + CONTRACT + "\", \"reply\": \"salom \"}");
        deploy(file); // its instance is opened, to check the manifest, and closed
        EchoTransport.Instance checked = transport.instances.get(transport.instances.size() - 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> checked.ended);
        int started = transport.instances.size();
        assertEquals(PluginState.STOPPED, descriptor("greeter").state(), "still stopped");
        assertEquals("2.0.0", descriptor("greeter").version(), "with the new manifest in force");
        assertNull(service("greeter"));
        deploy(manifest("witness", greeter("hi "))); // a running plugin: it shows when the changed policy was applied
        trust.requireCapabilities(CONTRACT, "shout");
        transport.trustChanged();
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("witness").state() == PluginState.FAILED);
        trust.requireCapabilities(CONTRACT);
        transport.trustChanged();
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("witness").state() == PluginState.ACTIVE);
        assertTrue(log.stream().noneMatch(l -> l.contains("'greeter'") && l.contains("polic")), "a stopped plugin is not judged: " + log);
        assertEquals(PluginState.STOPPED, descriptor("greeter").state(), "a policy change starts no stopped plugin");
        started += 2; // the witness's two instances
        assertEquals(started, transport.instances.size(), "and nothing was launched meanwhile");

        assertTrue(transport.reload("greeter"), "a reload of a stopped plugin starts it");
        assertEquals(PluginState.ACTIVE, descriptor("greeter").state());
        assertEquals("salom x #" + (started + 1), service("greeter").echo("x"));
        Files.writeString(file, "{\"version\": \"3.0.0\", \"contract\": \"" + CONTRACT + "\", \"reply\": \"hej \"}");
        deploy(file);
        assertEquals("hej x #" + (started + 2), service("greeter").echo("x"), "started again, a redeploy runs at once");
    }

    /** @return a call that has reached the instance and waits there until the test opens the gate */
    private CompletableFuture<String> callHeldAtTheGate(Echo echo) {
        transport.gate = new CountDownLatch(1);
        CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> echo.echo(EchoTransport.WAIT));
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.waiting.get() == 1);
        return inFlight;
    }

    @Test
    void aReloadMovesNewCallsToTheNewInstanceWhileTheOldOneFinishesItsCalls() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        Echo echo = service("greeter");
        CompletableFuture<String> inFlight = callHeldAtTheGate(echo);

        assertTrue(transport.reload("greeter"));

        assertEquals("hello x #2", echo.echo("x"), "new calls go to the new instance");
        EchoTransport.Instance old = transport.instances.get(0);
        assertFalse(old.ended, "the old instance still has a call");
        transport.gate.countDown();
        assertEquals("hello wait #1", inFlight.get());
        await().atMost(Duration.ofSeconds(30)).until(() -> old.ended); // once its call had
    }

    @Test
    void aPluginWhoseInstanceDoesNotStartIsFailedWithItsReason() throws Exception {
        transport.opensInForeground = false; // else its deploy fails
        deploy(manifest("broken", greeter("x").replace("{", "{\"failStart\": true, ")));

        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("broken").state() == PluginState.FAILED);
        assertEquals("its instance would not start (failStart)", transport.problems().get(0).reason());
        assertEquals("broken.echo.json", transport.problems().get(0).source());
        assertNull(service("broken"));
        assertEquals(List.of("broken INSTALL", "broken FAIL: its instance would not start (failStart)"), transport.events);
    }

    @Test
    void aTightenedCapabilityPolicyRefusesARunningPluginAndALoosenedOneStartsItAgain() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));

        // the core's policy changed: its trust service's generation grew, and its reference's updated method says so
        trust.requireCapabilities(CONTRACT, "shout");
        transport.trustChanged();

        String reason = "is refused: it lacks the capability shout, which the configuration io.atrium.capabilities requires of every Echo";
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.FAILED);
        assertEquals(reason, transport.problems().get(0).reason());
        assertNull(service("greeter"));
        assertEquals(List.of("SEVERE plugin 'greeter' stopped (instance 1) by the changed capability policy, rule '" + CONTRACT + " = shout': it "
                + "lacks the capability shout, which the configuration io.atrium.capabilities requires of every Echo"),
                log.stream().filter(l -> l.contains("polic")).toList(), "the core's rule, in the log, once");

        trust.requireCapabilities(CONTRACT);
        transport.trustChanged();

        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.ACTIVE);
        assertEquals(List.of(), transport.problems());
        assertEquals("hello x #2", service("greeter").echo("x"));
        assertEquals(List.of("greeter INSTALL", "greeter FAIL: " + reason), transport.events);
    }

    @Test
    void aCapabilityPolicyTightenedWhileADeployWasJudgedRefusesThePluginItDeployed() throws Exception {
        CompletableFuture<ArtifactHandler.Deployed> deploying = deployHeldOnceJudged(manifest("greeter", greeter("hello ")));
        trust.requireCapabilities(CONTRACT, "shout"); // no transport is told: the deploy sees the generation grew
        transport.afterJudging.countDown();
        deploying.get(30, java.util.concurrent.TimeUnit.SECONDS);

        assertEquals(PluginState.FAILED, descriptor("greeter").state());
        assertEquals("is refused: it lacks the capability shout, which the configuration io.atrium.capabilities requires of every Echo",
                transport.problems().get(0).reason());
        assertNull(service("greeter"));
    }

    @Test
    void theTrustPolicyIsAskedAtDeployAndAgainWhenItChanges() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);

        trust.requirePins("echo");
        transport.trustChanged(); // as the trust reference's updated method does

        String refusal = "it pins nothing (field sha256), and the trust policy (io.atrium.trust requirePins) requires echo plugins to";
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.FAILED);
        assertEquals("is refused: the trust policy refuses it now: " + refusal, transport.problems().get(0).reason());
        transport.undeploy(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deploy(file));
        assertEquals("is refused: " + refusal, e.getMessage());
    }

    @Test
    void anAnswerThatIsNotJsonForTheReturnTypeFailsTheCallInOneLine() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        Echo echo = service("greeter");

        PluginException e = assertThrows(PluginException.class, () -> echo.echo("garbage"));
        assertEquals("greeter", e.plugin());
        assertEquals("echo returned 'not json', which is not JSON for a java.lang.String", e.reason());
        e = assertThrows(PluginException.class, () -> echo.count(""));
        assertEquals("count returned null, but int was expected", e.reason());
        assertNotNull(descriptor("greeter"));
        assertSame(PluginState.ACTIVE, descriptor("greeter").state(), "a bad answer fails the call, not the plugin");
    }

    private static String restarting(String reply, int maxRestarts) {
        return greeter(reply).replace("{", "{\"restart\": {\"maxRestarts\": " + maxRestarts + ", \"initialBackoffMs\": 1, \"maxBackoffMs\": 2}, ");
    }

    private EchoTransport.Plugin plugin(String name) {
        return transport.deployed().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aCallWhileTheInstanceWaitsToRestartSaysSoInTheFacadesWords() throws Exception {
        deploy(manifest("greeter", greeter("hello ").replace("{", "{\"restart\": {\"initialBackoffMs\": 600000, \"maxBackoffMs\": 600000}, ")));
        Echo held = service("greeter");
        plugin("greeter").died(transport.instances.get(0), "exited with status 3");
        PluginUnavailableException e = assertThrows(PluginUnavailableException.class, () -> held.echo("x"));
        assertEquals("restarting: exited with status 3", e.reason(), "as a kept facade says it, and plugin:problems");
        assertEquals("restarting: exited with status 3", transport.problems().get(0).reason());
    }

    @Test
    void anInstanceThatDiesIsRestartedAfterABackoffAndTooManyCrashesInTheWindowFailThePlugin() throws Exception {
        deploy(manifest("greeter", restarting("hello ", 2)));
        Echo echo = service("greeter");

        for (int crash = 1; crash <= 2; crash++) {
            int next = crash + 1;
            plugin("greeter").died(transport.instances.get(crash - 1), "exited with status " + crash);
            await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.size() == next && descriptor("greeter").state() == PluginState.ACTIVE);
            assertEquals("hello x #" + next, echo.echo("x"), "the held service answers from the restarted instance");
            EchoTransport.Instance dead = transport.instances.get(crash - 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> dead.ended); // what the dead one left is closed
        }
        plugin("greeter").died(transport.instances.get(2), "exited with status 3");

        assertEquals(PluginState.FAILED, descriptor("greeter").state(), "the third crash within the window is one too many");
        String why = "crashed 3 times within 60 s; last: exited with status 3";
        assertEquals(why, transport.problems().get(0).reason());
        assertEquals(why, transport.details("greeter").get("problem"));
        assertNull(service("greeter"));
        PluginUnavailableException e = assertThrows(PluginUnavailableException.class, () -> echo.echo("x"));
        assertEquals("is failed: " + why, e.reason());
        assertEquals(List.of("greeter INSTALL", "greeter CRASH: exited with status 1", "greeter RESTART", "greeter CRASH: exited with status 2",
                "greeter RESTART", "greeter CRASH: exited with status 3", "greeter FAIL: " + why), transport.events);
        assertTrue(log.contains("SEVERE plugin 'greeter' failed: " + why + "; not restarted again until it is started, reloaded or redeployed"), log.toString());

        assertTrue(transport.start("greeter"), "an operator's start begins afresh");
        assertEquals("hello x #4", echo.echo("x"));
    }

    @Test
    void aDeathReportedForAnInstanceAlreadyReplacedChangesNothing() throws Exception {
        deploy(manifest("greeter", restarting("hello ", 2)));
        transport.reload("greeter");
        EchoTransport.Instance replaced = transport.instances.get(0);

        plugin("greeter").died(replaced, "exited late");

        assertEquals(PluginState.ACTIVE, descriptor("greeter").state());
        assertEquals("hello x #2", service("greeter").echo("x"));
        assertEquals(List.of("greeter INSTALL"), transport.events);
    }

    @Test
    void aTransportWhoseInstancesDoNotRestartFailsThePluginAtItsFirstDeath() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        EchoTransport.Plugin p = plugin("greeter");
        EchoTransport.Instance only = transport.instances.get(0);
        // Echo reads a restart policy from every manifest; a transport that has none answers null
        transport.restarts = false;

        p.died(only, "trapped");

        assertEquals(PluginState.FAILED, descriptor("greeter").state());
        assertEquals("trapped", transport.problems().get(0).reason());
        assertEquals(List.of("greeter INSTALL", "greeter CRASH: trapped", "greeter FAIL: trapped"), transport.events);
    }

    @Test
    void aReloadWhoseInstanceDoesNotOpenKeepsTheRunningOneServingAndSaysWhyInOneLine() throws Exception {
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);
        // a background transport: a changed manifest is reloaded off the deployer's thread, as the process transport's
        transport.opensInForeground = false;
        Files.writeString(file, greeter("hi ").replace("{", "{\"failStart\": true, "));
        deploy(file);
        await().atMost(Duration.ofSeconds(30)).until(() -> log.stream().anyMatch(l -> l.contains("reload failed")));

        PluginException e = assertThrows(PluginException.class, () -> plugin("greeter").reload());
        assertEquals("reload failed: its instance would not start (failStart)", e.reason());
        assertEquals("hello x #1", service("greeter").echo("x"), "the running instance keeps serving");
        assertEquals(PluginState.ACTIVE, descriptor("greeter").state());
        assertTrue(log.contains("WARNING plugin 'greeter' reload failed: its instance would not start (failStart); the running instance keeps serving"),
                log.toString());
    }

    @Test
    void aForegroundTransportsDeployFailsWhenItsInstanceDoesNotOpenAndABackgroundOnesPluginIsFailed() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> deploy(manifest("broken", greeter("x").replace("{", "{\"failStart\": true, "))));
        assertEquals("was not deployed: its instance would not start (failStart)", e.getMessage());
        assertEquals(List.of(), transport.plugins());

        transport.opensInForeground = false;
        deploy(manifest("late", greeter("x").replace("{", "{\"failStart\": true, ")));
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("late").state() == PluginState.FAILED);
        assertEquals("its instance would not start (failStart)", transport.problems().get(0).reason());
    }

    @Test
    void aPluginWaitingForSomethingIsListedWithWhyAndOpensWhenItComes() throws Exception {
        deploy(manifest("greeter", greeter("hello ").replace("{", "{\"awaits\": \"the moon\", ")));

        assertEquals(PluginState.FAILED, descriptor("greeter").state());
        assertEquals("waits for the moon", transport.problems().get(0).reason());
        assertNull(service("greeter"));
        assertEquals(List.of("greeter INSTALL"), transport.events, "waiting is no failure");
        PluginException e = assertThrows(PluginException.class, () -> plugin("greeter").reload());
        assertEquals("waits for the moon", e.reason());

        transport.arrived.add("the moon");
        plugin("greeter").retry();
        assertEquals("hello x #1", service("greeter").echo("x"));
        assertEquals(List.of(), transport.problems());

        transport.stop("greeter");
        plugin("greeter").retry();
        assertEquals(PluginState.STOPPED, descriptor("greeter").state(), "what it waited for coming starts no stopped plugin");
    }

    @Test
    void aStopClosesTheInstanceAtOnceWithoutWaitingForTheCallsOnIt() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        Echo echo = service("greeter");
        CompletableFuture<String> inFlight = callHeldAtTheGate(echo);

        transport.stop("greeter");

        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.get(0).ended); // a stop does not wait for calls
        transport.gate.countDown();
        inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, transport.instances.size());
    }

    /** Waits until the transport's timer has run what was due by now, and its work pool has done what it was given. */
    private void settled() throws Exception {
        transport.timers().schedule(() -> { }, 5, TimeUnit.MILLISECONDS).get(30, TimeUnit.SECONDS);
        ThreadPoolExecutor work = (ThreadPoolExecutor) transport.work();
        await().atMost(Duration.ofSeconds(30)).until(() -> work.getActiveCount() == 0 && work.getCompletedTaskCount() == work.getTaskCount());
    }

    @Test
    void anOpenThatThrowsWhatNoTransportShouldIsACrashSaidInOneLineAndThePluginRestarts() throws Exception {
        String reason = "could not be opened: java.lang.IllegalStateException: a bug\\nin the engine";
        aFirstOpenFailingSoIsACrashAndTheRestartServes(transport.brokenOpens, reason);

        // opened on the asking thread (a reload), the asker is told, and the running instance keeps serving
        transport.brokenOpens.set(1);
        PluginException e = assertThrows(PluginException.class, () -> plugin("greeter").reload());
        assertEquals("reload failed: " + reason, e.reason());
        assertEquals("hello x #1", service("greeter").echo("x"));
    }

    @Test
    void anOpenMissingAClassIsACrashSaidInOneLineNotAPluginLeftStarting() throws Exception {
        aFirstOpenFailingSoIsACrashAndTheRestartServes(transport.unlinkedOpens, "could not be opened: java.lang.NoClassDefFoundError: org/example/Engine");
    }

    /** A background plugin whose first open fails as {@code failing} makes it: one crash in one line, then the restart serves. */
    private void aFirstOpenFailingSoIsACrashAndTheRestartServes(java.util.concurrent.atomic.AtomicInteger failing, String reason) throws Exception {
        transport.opensInForeground = false;
        failing.set(1);
        deploy(manifest("greeter", restarting("hello ", 2)));

        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.ACTIVE);
        assertEquals(List.of("greeter INSTALL", "greeter CRASH: " + reason, "greeter RESTART"), transport.events);
        assertEquals("hello x #1", service("greeter").echo("x"));
    }

    @Test
    void aPluginFailedWhileARestartWasPendingIsNotRestartedByIt() throws Exception {
        deploy(manifest("greeter", restarting("hello ", 1)));
        CountDownLatch timer = new CountDownLatch(1);
        transport.timers().execute(() -> { // the restart a crash schedules waits behind this
            try {
                timer.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        plugin("greeter").died(transport.instances.get(0), "exited with status 1");
        transport.crashingOpens.set(1);

        // an operator's reload during the backoff dies too: one crash too many
        PluginException e = assertThrows(PluginException.class, () -> transport.reload("greeter"));
        assertEquals("reload failed: exited with status 1, before its handshake", e.reason());
        String why = "crashed 2 times within 60 s; last: exited with status 1, before its handshake";
        assertEquals(why, transport.problems().get(0).reason());
        timer.countDown();
        settled();

        assertEquals(PluginState.FAILED, descriptor("greeter").state(), "as the log says: not restarted again until it is started, reloaded or redeployed");
        assertEquals(List.of("greeter INSTALL", "greeter CRASH: exited with status 1", "greeter CRASH: exited with status 1, before its handshake",
                "greeter FAIL: " + why), transport.events);
        assertEquals(1, transport.instances.size());
    }

    @Test
    void anInstanceThatOpensWhileTheTransportClosesIsClosedToo() throws Exception {
        transport.opensInForeground = false;
        transport.opening = new CountDownLatch(1);
        deploy(manifest("greeter", greeter("hello ")));
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.opensBegun.get() == 1);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(transport::deactivate);
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.work().isShutdown());
        transport.opening.countDown();
        closing.get(30, TimeUnit.SECONDS);

        assertEquals(1, transport.instances.size());
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.get(0).ended); // not left running: a process, a module's pool
    }

    @Test
    void aRefusedReloadLeavesTheRunningInstanceJudgedByWhatItDeclares() throws Exception {
        transport.opensInForeground = false; // a changed manifest is reloaded, as the process transport's
        trust.requireCapabilities(CONTRACT, "shout");
        Path file = manifest("greeter", greeter("hello ").replace("{", "{\"capabilities\": [\"shout\"], "));
        deploy(file);
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.ACTIVE);
        Files.writeString(file, greeter("hi ")); // its next version declares nothing
        deploy(file);
        await().atMost(Duration.ofSeconds(30)).until(() -> log.stream().anyMatch(l -> l.contains("reload refused")));

        assertEquals("hello x #1", service("greeter").echo("x"), "the running instance keeps serving");
        assertEquals(List.of(Capability.parse("shout")), descriptor("greeter").capabilities(), "what the running instance declares");
        plugin("greeter").policyChanged(trust.capabilityRule(CONTRACT)); // judged again: the policies accept what runs
        assertEquals(PluginState.ACTIVE, descriptor("greeter").state());
        assertEquals("hello x #1", service("greeter").echo("x"));
    }

    @Test
    void anInstanceThatDiesBeforeItIsThePluginsIsRestartedNotMadeThePluginsDead() throws Exception {
        transport.opensInForeground = false;
        transport.dyingOpens.set(1);
        deploy(manifest("greeter", restarting("hello ", 2)));

        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.size() == 2 && descriptor("greeter").state() == PluginState.ACTIVE);
        assertEquals("hello x #2", service("greeter").echo("x"));
        assertEquals(List.of("greeter INSTALL", "greeter CRASH: exited with status 1, after its handshake", "greeter RESTART"), transport.events);
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.get(0).ended);
    }

    @Test
    void aReloadOfAStoppedPluginOpensNothing() throws Exception {
        deploy(manifest("greeter", greeter("hello ")));
        transport.stop("greeter");

        plugin("greeter").reload(); // as a changed manifest's reload does, come after an operator's stop

        assertEquals(PluginState.STOPPED, descriptor("greeter").state());
        assertEquals(1, transport.instances.size(), "no instance opened only to be closed (a process launched and killed)");
    }

    @Test
    void anUndeploySaysWhichFileWentInOneLogLineWhateverTheFileIsCalled() throws Exception {
        java.util.logging.Logger transportLog = java.util.logging.Logger.getLogger("io.atrium.transport.echo");
        transportLog.addHandler(handler);
        try {
            Path file = manifest("evil\nSEVERE forged", greeter("hello ").replace("{", "{\"name\": \"greeter\", "));
            deploy(file);

            transport.undeploy(file);

            assertEquals(List.of("INFO plugin 'greeter' stopped: evil\\nSEVERE forged.echo.json was removed"),
                    log.stream().filter(l -> l.contains("removed")).toList());
        } finally {
            transportLog.removeHandler(handler);
        }
    }

    @Test
    void aPolicyTightenedWhileALaunchedInstanceWasJudgedRefusesItWhenItWouldBeTheOneCallsGoTo() throws Exception {
        transport.opensInForeground = false;
        CountDownLatch deployed = new CountDownLatch(1);
        trust.afterNextVerdict.set(() -> { // the launch's verdict is made (accepted); the policy tightens before it is given
            try {
                assertTrue(deployed.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            trust.requireCapabilities(CONTRACT, "shout");
            transport.policyChanged(); // as the transport's judging of its plugins does: this one runs nothing yet
        });
        deploy(manifest("greeter", greeter("hello ")));
        deployed.countDown(); // the deploy judged by the policy before it, and found it unchanged

        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() != PluginState.STARTING);
        assertEquals(PluginState.FAILED, descriptor("greeter").state());
        assertEquals("is refused: it lacks the capability shout, which the configuration io.atrium.capabilities requires of every Echo",
                transport.problems().get(0).reason());
        assertNull(service("greeter"));
        await().atMost(Duration.ofSeconds(30)).until(() -> transport.instances.get(0).ended);
    }

    @Test
    void aPolicysRefusalIsLoggedInTheWordsItIsListedAndToldWith() throws Exception {
        transport.opensInForeground = false;
        trust.requireCapabilities(CONTRACT, "shout");
        String lacks = "it lacks the capability shout, which the configuration io.atrium.capabilities requires of every Echo";
        deploy(manifest("denied", greeter("x ")));
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("denied").state() == PluginState.FAILED);
        assertEquals("is refused: " + lacks, transport.problems().get(0).reason());
        Path file = manifest("greeter", greeter("hello ").replace("{", "{\"capabilities\": [\"shout\"], "));
        deploy(file);
        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.ACTIVE);

        Files.writeString(file, greeter("hi ")); // declares nothing: its reload is refused
        deploy(file);
        await().atMost(Duration.ofSeconds(30)).until(() -> log.stream().anyMatch(l -> l.contains("'greeter' reload")));

        assertEquals(List.of("SEVERE plugin 'denied' is refused: " + lacks, "WARNING plugin 'greeter' reload refused: " + lacks
                + "; the running instance keeps serving"), log.stream().filter(l -> l.contains("refused")).toList());
        PluginException e = assertThrows(PluginException.class, () -> plugin("greeter").reload());
        assertEquals("reload refused: " + lacks, e.reason(), "as the log says it");
    }

    @Test
    void aPluginTheTransportHoldsBackOpensOnceWithTheManifestInForceWhenItStarts() throws Exception {
        transport.opensInForeground = false;
        transport.holdStarts = true;
        Path file = manifest("greeter", greeter("hello "));
        deploy(file);
        Files.writeString(file, greeter("hi ").replace("1.0.0", "1.1.0"));
        deploy(file); // redeployed while held: nothing opens yet

        transport.releaseHeld();

        await().atMost(Duration.ofSeconds(30)).until(() -> descriptor("greeter").state() == PluginState.ACTIVE);
        assertEquals("hi x #1", service("greeter").echo("x"));
        assertEquals(1, transport.instances.size(), "one instance, of the manifest in force: " + transport.instances);
    }
}
