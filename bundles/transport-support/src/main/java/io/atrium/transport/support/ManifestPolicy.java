package io.atrium.transport.support;

import io.atrium.api.Capability;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the trust and capability configuration ({@code io.atrium.trust}, {@code io.atrium.capabilities})
 * asks of one transport's manifests: a detached signature by a trusted key ({@code requireSignedManifests}),
 * pinned files ({@code requirePins}), whether the transport is allowed at all ({@code transports}), and
 * the capabilities each contract's plugins must declare.
 * Both transports read their configuration into one of these and ask it at every deploy.
 */
public final class ManifestPolicy {
    private final String transport;
    private final TrustFiles trust;
    private final boolean signaturesRequired;
    private final boolean pinsRequired;
    private final CapabilityPolicy capabilities;
    private final List<String> allowedTransports;
    private final boolean linksOutsideAllowed;

    private ManifestPolicy(String transport, TrustFiles trust, boolean signaturesRequired, boolean pinsRequired,
                           CapabilityPolicy capabilities, List<String> allowedTransports, boolean linksOutsideAllowed) {
        this.transport = transport;
        this.linksOutsideAllowed = linksOutsideAllowed;
        this.allowedTransports = allowedTransports;
        this.trust = trust;
        this.signaturesRequired = signaturesRequired;
        this.pinsRequired = pinsRequired;
        this.capabilities = capabilities;
    }

    /**
     * @param transport  the transport's id as the configuration lists it: {@code process} or {@code wasm}
     * @param config     the merged properties of the transport's configurations
     * @param atriumHome the distribution's folder (for the default trust store), or null
     */
    public static ManifestPolicy of(String transport, Map<String, Object> config, String atriumHome) {
        return new ManifestPolicy(transport, new TrustFiles(config, atriumHome),
                ManifestFields.listed(config.get("requireSignedManifests"), transport),
                ManifestFields.listed(config.get("requirePins"), transport), CapabilityPolicy.of(config),
                allowedKinds(config.get("transports")), "true".equalsIgnoreCase(String.valueOf(config.get("allowLinksOutside")).strip()));
    }

    /** The kinds of plugin configuration {@code io.atrium.trust transports} names: bundle (in-process), process, wasm. */
    public static final List<String> KINDS = List.of("bundle", "process", "wasm");

    /**
     * @param configured the value of {@code transports}, or null
     * @return the kinds of plugin it allows, in lower case (all of {@link #KINDS} when it is not set)
     */
    public static List<String> allowedKinds(Object configured) {
        return configured == null ? KINDS
                : ManifestFields.values(configured).stream().map(k -> k.toLowerCase(java.util.Locale.ROOT)).toList();
    }

    /** @return the refusal's reason for a plugin of a kind the list leaves out */
    public static String onlyAllowed(List<String> allowed) {
        return "the trust policy allows only " + (allowed.isEmpty() ? "no" : String.join(", ", allowed))
                + " plugins (io.atrium.trust transports)";
    }

    /** @return a policy that asks nothing (before the configuration arrives) */
    public static ManifestPolicy none(String transport) {
        return of(transport, Map.of(), null);
    }

    /**
     * Checks what can be checked of a manifest before it is used: its signature and whether it pins.
     *
     * @param manifest the manifest file
     * @param content  its bytes, as deployed
     * @param pinned   whether it pins its files (field sha256)
     * @param unpinned what the refusal says when it does not, e.g. "pins none of its files"
     * @throws IllegalArgumentException "is refused: …", one line
     */
    public void check(Path manifest, byte[] content, boolean pinned, String unpinned) {
        if (!allowedTransports.contains(transport)) {
            throw new IllegalArgumentException("is refused: it is a " + transport + " plugin, and " + onlyAllowed(allowedTransports));
        }
        String unsigned = trust.current().manifestRefusal(manifest, content, signaturesRequired);
        if (unsigned != null) {
            throw new IllegalArgumentException("is refused: " + unsigned);
        }
        if (pinsRequired && !pinned) {
            throw new IllegalArgumentException("is refused: it " + unpinned + " (field sha256), and the trust policy "
                    + "(io.atrium.trust requirePins) requires " + transport + " plugins to");
        }
    }

    /**
     * Under {@code requirePins}, what the manifest runs must be pinned, not merely some file of it.
     *
     * @param unpinned what would run without a pin ("runs greeter.py, which it does not pin"), or null
     * @throws IllegalArgumentException "is refused: it …", one line, when pins are required and something is unpinned
     */
    public void checkRunsPinned(String unpinned) {
        if (pinsRequired && unpinned != null) {
            throw new IllegalArgumentException("is refused: it " + unpinned + ", and the trust policy (io.atrium.trust requirePins) "
                    + "requires " + transport + " plugins to pin what they run");
        }
    }

    /**
     * Judges a deployed plugin again by the trust policy in force, with the checks its deploy made
     * (the transports allowed, its signature, its pins) on its manifest as deployed: a stricter policy,
     * or a revocation list that appeared, refuses what it no longer vouches for, also while it runs.
     *
     * @param deployChecks the deploy's trust checks, throwing "is refused: …" (not the file as it is now:
     *                     a refused edit leaves the verified plugin running)
     * @return why the trust policy refuses it now ("the trust policy refuses it now: …"), or null
     */
    public static String trustRefusal(Runnable deployChecks) {
        try {
            deployChecks.run();
            return null;
        } catch (IllegalArgumentException e) {
            return TRUST_REFUSAL + e.getMessage().replaceFirst("^is refused: ", "");
        }
    }

    /** How {@link #trustRefusal} begins, so a plugin it refused can be told from one refused otherwise. */
    public static final String TRUST_REFUSAL = "the trust policy refuses it now: ";

    /**
     * Reads the trust store and revocation lists again if their files changed.
     *
     * @return a number that grows whenever they were read again, by this call or by any check before it
     */
    public long trustFiles() {
        trust.refresh();
        return trust.generation();
    }

    /**
     * The files a manifest runs or reads from its plugin folder are judged as the folder's own files
     * are ({@code io.atrium.trust allowLinksOutside}): one lying in the folder that is a link leading
     * outside it is refused, so a file the folder lists as refused never runs under another name.
     *
     * @param folder the plugin folder
     * @param files  the files the manifest names (its executable, its pinned files, its module)
     * @throws IllegalArgumentException "is refused: …", one line
     */
    public void checkLinks(Path folder, java.util.Collection<Path> files) {
        for (Path f : files) {
            try {
                checked(folder, f);
            } catch (java.io.IOException missing) {
                // a file that is not there: the launch says so
            }
        }
    }

    /**
     * Judges one file as {@link #checkLinks} does and returns where it really is: reading it there (the
     * last name not followed) reads what was judged, not a link swapped in after the check.
     *
     * @return the file's real path
     * @throws IllegalArgumentException "is refused: …", one line
     * @throws java.io.IOException when it is not there
     */
    public Path checked(Path folder, Path f) throws java.io.IOException {
        Path inside = folder.toAbsolutePath().normalize();
        Path file = f.toAbsolutePath().normalize();
        Path real = file.toRealPath();
        if (!linksOutsideAllowed && file.startsWith(inside) && !real.startsWith(inside.toRealPath())) {
            // named outside the folder outright (/usr/bin/python3) is not the folder's file
            throw new IllegalArgumentException("is refused: " + inside.relativize(file) + " is a symbolic link to " + real
                    + ", outside the plugin folder (trust policy: allowLinksOutside = false)");
        }
        return real;
    }

    /**
     * @return why a plugin of this contract declaring these capabilities is refused (one line), or null
     */
    public String capabilityRefusal(String contract, List<Capability> declared) {
        return capabilities.refusal(contract, declared);
    }

    /** @return the capability policy's rule for a contract as its configuration reads ({@code io.atrium.api.greeting.Greeter = greet, shout}) */
    public String capabilityRule(String contract) {
        return capabilities.rule(contract);
    }

    /**
     * @param manifest  the manifest file
     * @param ownFiles  the plugin's own files, watched for changes
     * @return those files and the manifest's signature: adding, changing or removing it deploys again
     */
    public static List<Path> watched(Path manifest, List<Path> ownFiles) {
        List<Path> watched = new ArrayList<>(ownFiles);
        watched.add(TrustStore.signatureOf(manifest));
        return watched;
    }
}
