package io.atrium.core.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import io.atrium.spi.ArtifactHandler;
import io.atrium.transport.support.Periodic;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;
import io.atrium.core.registry.DeclaredTransports;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Whether a plugin bundle may be installed, by its signature: configuration {@code io.atrium.trust}
 * ({@code bundleSignatures} = off, warn or enforce; {@code trustStore}, a PKCS12 or JKS file of
 * trusted certificates, by default the distribution's {@code etc/truststore.p12}). Changes apply to
 * the next jar deployed, and to what runs: whoever judged bundles is told ({@link #onChange}) and judges again.
 * So do changes of the trust store's file and of the revocation lists (a CRL dropped into the folder
 * counts without the configuration being touched). What it asks of the transports' plugins is read here
 * too, once, and offered to them as the service {@link io.atrium.spi.TransportTrust} ({@link TransportTrustService}),
 * with the capability policy's verdict ({@link CapabilityRules}).
 * Immediate: the transports wait for that service, whoever else asks for the policy.
 */
@Component(service = TrustPolicy.class, configurationPid = TrustPolicy.PID, immediate = true)
@Designate(ocd = TrustPolicy.Config.class)
public final class TrustPolicy {
    /** The configuration of Atrium's trust policy. */
    public static final String PID = "io.atrium.trust";
    private static final Logger LOG = Logger.getLogger("io.atrium.trust");

    /** What a bundle's signature decides. */
    public enum Mode {
        /** Signatures are not looked at. */
        OFF,
        /** An untrusted bundle installs, with a warning naming why. */
        WARN,
        /** An untrusted bundle is refused. */
        ENFORCE
    }

    /** What can be configured. */
    @ObjectClassDefinition(name = "Atrium trust", description = "Which plugin bundles Atrium installs")
    public @interface Config {
        @AttributeDefinition(description = "off, warn (the default: install, and say why it is not trusted) or enforce (refuse)")
        String bundleSignatures() default "warn";

        @AttributeDefinition(description = "A PKCS12 or JKS file of trusted certificates; empty: ATRIUM_HOME/etc/truststore.p12")
        String trustStore() default "";

        @AttributeDefinition(description = "The trust store's password, if it has one", type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD)
        String trustStorePassword() default "";

        @AttributeDefinition(description = "Certificate revocation lists (CRL files, PEM or DER, or folders of *.crl), comma-separated; empty: ATRIUM_HOME/etc/crl")
        String[] revocationLists() default {};

        @AttributeDefinition(description = "The transports whose plugins may be deployed, by id (bundle: in-process bundles; *: all); unset: all")
        String[] transports() default {};

        @AttributeDefinition(description = "The transports whose manifests must pin their files by SHA-256, by id (*: all)")
        String[] requirePins() default {};

        @AttributeDefinition(description = "The transports whose manifests must be signed by a trusted key, by id (*: all)")
        String[] requireSignedManifests() default {};

        @AttributeDefinition(description = "Whether a symbolic link in the plugin folder may point outside it")
        boolean allowLinksOutside() default false;
    }

    private final BundleContext context;
    /** The trust store's password is one of them: the configuration holds only its placeholder. */
    private final io.atrium.spi.Secrets secrets;
    private volatile Mode mode;
    /** The trust store and revocation lists the configuration names, read again when their files change. */
    private volatile TrustFiles files;
    private volatile TrustStore store;
    private volatile SignerTrust signers;
    private volatile String revocationPlaces;
    private volatile boolean revocationsNamed;
    /** Looks at the trust files now and then, so that a new CRL counts even when nothing is deployed. */
    private final java.util.concurrent.ScheduledExecutorService watcher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "atrium-trust-files");
        t.setDaemon(true);
        return t;
    });
    /** What the configuration says of transports (links outside the folder among it). */
    private volatile TransportRules rules;
    private volatile String unreadable;
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();
    /** The policy as the transports ask it; registered once the configuration was read. */
    private final TransportTrustService published;
    private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The capability policy, offered to the transports with this one: they read neither configuration themselves. */
    private final CapabilityRules capabilities;
    private final Runnable capabilitiesChanged;

    @Activate
    public TrustPolicy(BundleContext context, @Reference io.atrium.spi.Secrets secrets, @Reference CapabilityRules capabilities,
                       Config config, Map<String, Object> properties) {
        this.context = context;
        this.secrets = secrets;
        this.capabilities = capabilities;
        modified(config, properties);
        this.published = new TransportTrustService(this::rules, this::current, this::generation, capabilities, watcher);
        // only the transports are told: the bundles this policy judged by their signatures are not judged by it
        this.capabilitiesChanged = published::changed;
        capabilities.onChange(capabilitiesChanged);
        published.register(context);
        Periodic.every(watcher, FILES_CHECKED_EVERY_MS, this::current, e -> LOG.warning(
                "looking at the trust store's and the revocation lists' files failed, and is done again in " + FILES_CHECKED_EVERY_MS + " ms: " + e));
    }

    /** How often the trust store's and the revocation lists' files are looked at when nothing asks. */
    private static final long FILES_CHECKED_EVERY_MS = 2_000;

    @Deactivate
    void deactivate() {
        capabilities.removeListener(capabilitiesChanged);
        published.unregister();
        watcher.shutdownNow();
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        Mode m;
        try {
            m = Mode.valueOf(config.bundleSignatures().strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            LOG.severe("configuration " + PID + ": bundleSignatures '" + config.bundleSignatures()
                    + "' is not off, warn or enforce; enforcing");
            m = Mode.ENFORCE; // a typo must not open the door
        }
        Map<String, Object> revealed = new java.util.HashMap<>(properties);
        revealed.computeIfPresent("trustStorePassword", (k, v) -> secrets.reveal(PID, k, v));
        revealed.values().removeIf(java.util.Objects::isNull);
        TrustFiles read = new TrustFiles(revealed, context.getProperty("atrium.home"));
        synchronized (this) {
            this.files = read;
            use(read.current());
        }
        this.revocationsNamed = properties.get("revocationLists") != null;
        try {
            this.revocationPlaces = TrustStore.revocationPlaces(properties, context.getProperty("atrium.home")).stream()
                    .map(Path::toString).collect(java.util.stream.Collectors.joining(", "));
        } catch (IllegalArgumentException invalid) {
            this.revocationPlaces = invalid.getMessage(); // the store's revocation problem says it too: nothing is trusted
        }
        // the raw values: DS would make "bundle, process" one element
        this.rules = TransportRules.of(properties, why -> LOG.severe("configuration " + PID + ": " + why));
        unknownTransports(rules);
        Object unreadable = properties.get(PolicyFile.UNREADABLE_PROPERTY);
        this.unreadable = unreadable == null ? null : unreadable.toString();
        this.mode = m;
        changed();
    }

    /**
     * What the policy trusts may have changed (its configuration was applied; a trust store or revocation
     * list was read again): what was judged before counts no more, and whoever judged bundles that run is
     * told, so that a stricter policy stops what it now refuses. The one path for every kind of change.
     */
    public void changed() {
        generation.incrementAndGet();
        for (Runnable listener : listeners) {
            listener.run();
        }
        if (published != null) { // null while the constructor reads the first configuration
            published.changed();
        }
    }

    /** @param listener told after every {@link #changed()}, on the thread that changed the policy: hand the work on */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** @param listener no longer told */
    public void removeOnChange(Runnable listener) {
        listeners.remove(listener);
    }

    /** @return a number that grows at every change: a verdict given under another number is stale */
    public long generation() {
        return generation.get();
    }

    /**
     * A listed id that no installed transport declares (its bundle's {@link ArtifactHandler#NAMESPACE} kind) may be a
     * transport installed later, or a typo that would leave a transport unrestricted: said once, in one line.
     */
    private void unknownTransports(TransportRules r) {
        Set<String> installed = new TreeSet<>();
        for (Bundle b : context.getBundles()) {
            DeclaredTransports.of(b).forEach(d -> installed.add(d.kind()));
        }
        Set<String> unknown = new TreeSet<>(r.named());
        unknown.removeAll(installed);
        if (!unknown.isEmpty()) {
            LOG.warning("configuration " + PID + " names " + String.join(", ", unknown) + ", which no installed transport declares (installed: "
                    + (installed.isEmpty() ? "none" : String.join(", ", installed)) + "); the rules apply to it once one does");
        }
    }

    /** @return what the configuration says of transports */
    TransportRules rules() {
        return rules;
    }


    /** Takes a store read from the files, saying what is wrong with it. */
    private void use(TrustStore read) {
        if (read.problem() != null) {
            LOG.severe(read.problem() + "; no signer is trusted");
        }
        if (read.revocationProblem() != null) {
            LOG.severe(read.revocationProblem() + "; no signer is trusted until every revocation list can be read");
        }
        for (String stale : TrustStore.outOfDate(read.revocations(), new java.util.Date())) {
            LOG.warning("revocation " + stale + "; it still counts, but a newer list may revoke more");
        }
        this.signers = read.signers();
        this.store = read;
    }

    /**
     * @return the store as its files are now: a CRL added or a store replaced since counts at once, for
     *         what is judged next and (through {@link #changed()}) for what runs
     */
    private TrustStore current() {
        TrustStore now;
        TrustStore fresh;
        synchronized (this) {
            fresh = files.refresh();
            if (fresh != null) {
                LOG.info("the trust store or the revocation lists changed on disk; now trusted: " + trustedSubjects(fresh).size()
                        + " certificates, " + fresh.revocations().size() + " revocation lists");
                use(fresh);
            }
            now = store;
        }
        if (fresh != null) {
            changed(); // outside the lock: listeners hand the work on, and may ask the policy again
        }
        return now;
    }

    /** Warnings of the warn mode: at most this many in a window, so a folder of 1000 unsigned jars is not 1000 lines. */
    private static final int WARNINGS_PER_WINDOW = 10;
    private static final long WINDOW_NANOS = 10_000_000_000L;
    private long windowStart = System.nanoTime();
    private int warnedInWindow;
    private int suppressed;

    private synchronized void warn(String line) {
        long now = System.nanoTime();
        if (now - windowStart > WINDOW_NANOS) {
            if (suppressed > 0) {
                LOG.warning(suppressed + " more untrusted bundles were installed without a warning each (trust policy: warn)");
            }
            windowStart = now;
            warnedInWindow = 0;
            suppressed = 0;
        }
        if (warnedInWindow++ < WARNINGS_PER_WINDOW) {
            LOG.warning(line);
        } else {
            suppressed++;
        }
    }

    /** @return the policy in force */
    public Mode mode() {
        return mode;
    }

    /**
     * @param link   a symbolic link in the plugin folder
     * @param folder the plugin folder
     * @return why it must not be deployed (it leads outside the folder and the policy forbids that), or null
     */
    public String linkRefusal(Path link, Path folder) {
        if (rules.linksOutside()) {
            return null;
        }
        try {
            Path target = link.toRealPath();
            if (target.startsWith(folder.toRealPath())) {
                return null;
            }
            return "is a symbolic link to " + target + ", outside the plugin folder (trust policy: allowLinksOutside = false)";
        } catch (IOException e) {
            return "is a symbolic link that cannot be followed: " + e.getMessage();
        }
    }

    /** @return whether a symbolic link may lead outside the plugin folder */
    public boolean allowsLinksOutside() {
        return rules.linksOutside();
    }

    /** @return the trust store's path (null when there is none) and its problem, if any */
    public String store() {
        TrustStore now = current();
        Path p = now.path();
        String problem = now.problem();
        return problem != null ? problem : p == null || !Files.isRegularFile(p) ? "none (no signer is trusted)" : p.toString();
    }

    /** @return why the policy's file cannot be read, the strictest policy standing in for it; or null */
    public String unreadableFile() {
        return unreadable;
    }

    /** @return the transports whose plugins may be deployed, as plugin:trust shows them ({@code all} when unset) */
    public String transports() {
        return rules.allowedText();
    }

    /** @return how many revocation lists are in force, where they were read from, and which are out of date (judged now) */
    public String revocationLists() {
        TrustStore now = current();
        if (now.revocationProblem() != null) {
            return now.revocationProblem() + " (no signer is trusted until it can be read)";
        }
        if (now.revocations().isEmpty() && !revocationsNamed) {
            return "none";
        }
        java.util.List<String> stale = TrustStore.outOfDate(now.revocations(), new java.util.Date());
        return now.revocations().size() + " (" + revocationPlaces + ")" + (stale.isEmpty() ? "" : "; out of date: " + String.join("; ", stale));
    }

    /** @return the subjects of the trusted certificates */
    public java.util.List<String> trustedSubjects() {
        return trustedSubjects(current());
    }

    private static java.util.List<String> trustedSubjects(TrustStore from) {
        KeyStore trusted = from.certificates();
        java.util.List<String> out = new java.util.ArrayList<>();
        try {
            for (String alias : java.util.Collections.list(trusted.aliases())) {
                if (trusted.getCertificate(alias) instanceof java.security.cert.X509Certificate c) {
                    out.add(c.getSubjectX500Principal().getName() + " (until " + c.getNotAfter().toInstant().toString().substring(0, 10) + ")");
                }
            }
        } catch (java.security.KeyStoreException e) {
            // an unloaded store: nothing trusted
        }
        return out;
    }

    /**
     * What the policy says of a jar: refused (with the one-line reason), or allowed, perhaps with a warning
     * to log once it is actually installed (never before: an install that then fails was not "installed anyway").
     */
    public record Verdict(String refusal, String warning) {
        static final Verdict ALLOWED = new Verdict(null, null);
    }

    /**
     * @param jar    a plugin jar's bytes
     * @param file   its name, for the warning
     * @param signed whether it carries signature files at all (an unsigned jar is not read a second time)
     * @return the verdict
     */
    public Verdict judge(byte[] jar, String file, boolean signed) {
        return judge(file, false, () -> signed ? BundleSignature.check(jar, signers) : new BundleSignature(null, "is not signed"));
    }

    /**
     * The same verdict on a jar where it lies: the copy the framework loads, in its cache.
     *
     * @param jar        the file
     * @param file       what to call it in the warning
     * @param warnedOnce whether the warn mode's warning was given when it was deployed: then it is not read
     *                   again (under warn nothing is refused, and an unsigned plugin is named once)
     * @return the verdict
     */
    public Verdict judge(Path jar, String file, boolean warnedOnce) {
        return judge(file, warnedOnce, () -> BundleSignature.check(jar, signers));
    }

    private Verdict judge(String file, boolean warnedOnce, java.util.function.Supplier<BundleSignature> check) {
        String notAllowed = rules.refusal(TransportRules.BUNDLE);
        if (notAllowed != null) {
            return new Verdict("is a plugin bundle, and " + notAllowed, null);
        }
        Mode m = mode;
        if (m == Mode.OFF || m == Mode.WARN && warnedOnce) {
            return Verdict.ALLOWED;
        }
        TrustStore now = current();
        BundleSignature s = check.get();
        if (s.trusted()) {
            return Verdict.ALLOWED;
        }
        String why = s.problem() + (now.problem() != null && s.problem().endsWith("does not trust") ? " (" + now.problem() + ")" : "");
        if (m == Mode.WARN) {
            return new Verdict(null, file + " " + why + "; installed anyway (trust policy: warn)");
        }
        return new Verdict(why + " (trust policy: enforce)", null);
    }

    /** Logs a verdict's warning, if it has one (a bulk drop of untrusted jars is counted, not listed). */
    public void installed(Verdict verdict) {
        if (verdict.warning() != null) {
            warn(io.atrium.transport.support.Escape.oneLine(verdict.warning()));
        }
    }
}
