package io.atrium.transport.support;

import io.atrium.api.Capability;
import io.atrium.spi.TransportTrust;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the trust and capability configuration ({@code io.atrium.trust}, {@code io.atrium.capabilities})
 * asks of one transport's manifests: a detached signature by a trusted key ({@code requireSignedManifests}),
 * pinned files ({@code requirePins}), whether the transport is allowed at all ({@code transports}), and
 * the capabilities each contract's plugins must declare. Both policies are the core's, read once and
 * asked live ({@link TransportTrust}): no transport reads either configuration.
 */
public final class ManifestPolicy {
    private final String transport;
    private final TransportTrust trust;

    private ManifestPolicy(String transport, TransportTrust trust) {
        this.transport = transport;
        this.trust = trust;
    }

    /**
     * @param transport the transport's id, as the trust policy names it
     * @param trust     the core's trust and capability policies
     */
    public static ManifestPolicy of(String transport, TransportTrust trust) {
        return new ManifestPolicy(transport, trust);
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
        String notAllowed = trust.transportRefusal(transport);
        if (notAllowed != null) {
            throw new IllegalArgumentException("is refused: it is a " + transport + " plugin, and " + notAllowed);
        }
        String unsigned = trust.signatureRefusal(transport, manifest, content);
        if (unsigned != null) {
            throw new IllegalArgumentException("is refused: " + unsigned);
        }
        if (!pinned && trust.requiresPins(transport)) {
            throw new IllegalArgumentException("is refused: it " + unpinned + " (field sha256), and the trust policy "
                    + "(io.atrium.trust requirePins) requires " + transport + " plugins to");
        }
    }

    /**
     * A kind of plugin within a transport that the trust policy's {@code transports} allows apart, by an id
     * of its own (a native library loaded in-process: {@code native-in-process}).
     *
     * @param kind what the plugin is, as the refusal says it ("runs in the server's JVM")
     * @param id   the id {@code transports} must name (or {@code *}) for it
     * @throws IllegalArgumentException "is refused: …", one line, when the policy does not allow it
     */
    public void checkKindAllowed(String kind, String id) {
        String notAllowed = trust.transportRefusal(id);
        if (notAllowed != null) {
            throw new IllegalArgumentException("is refused: it " + kind + " (" + id + "), and " + notAllowed);
        }
    }

    /**
     * Under {@code requirePins}, what the manifest runs must be pinned, not merely some file of it.
     *
     * @param unpinned what would run without a pin ("runs greeter.py, which it does not pin"), or null
     * @throws IllegalArgumentException "is refused: it …", one line, when pins are required and something is unpinned
     */
    public void checkRunsPinned(String unpinned) {
        if (unpinned != null && trust.requiresPins(transport)) {
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
     * @return a number that grows whenever the trust policy changes (its configuration, or the trust
     *         store's or a revocation list's file, which the core watches) or the capability policy does
     */
    public long trustGeneration() {
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
        if (file.startsWith(inside) && !trust.allowsLinksOutside() && !real.startsWith(inside.toRealPath())) {
            // named outside the folder outright (/usr/bin/python3) is not the folder's file
            throw new IllegalArgumentException("is refused: " + inside.relativize(file) + " is a symbolic link to " + real
                    + ", outside the plugin folder (trust policy: allowLinksOutside = false)");
        }
        return real;
    }

    /**
     * @return why a plugin of this contract declaring these capabilities is refused (one line), or null:
     *         the core's verdict, by the capability policy in force
     */
    public String capabilityRefusal(String contract, List<Capability> declared) {
        return trust.capabilityRefusal(contract, declared);
    }

    /** @return the capability policy's rule for a contract as its configuration reads ({@code io.atrium.api.greeting.Greeter = greet, shout}) */
    public String capabilityRule(String contract) {
        return trust.capabilityRule(contract);
    }

    /** @return where a manifest's detached signature lives: beside it, named {@code MANIFEST.sig} */
    public static Path signatureOf(Path manifest) {
        return manifest.resolveSibling(manifest.getFileName() + ".sig");
    }

    /**
     * @param manifest  the manifest file
     * @param ownFiles  the plugin's own files, watched for changes
     * @return those files and the manifest's signature: adding, changing or removing it deploys again
     */
    public static List<Path> watched(Path manifest, List<Path> ownFiles) {
        List<Path> watched = new ArrayList<>(ownFiles);
        watched.add(signatureOf(manifest));
        return watched;
    }
}
