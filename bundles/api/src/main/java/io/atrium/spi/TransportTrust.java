package io.atrium.spi;

import io.atrium.api.Capability;
import java.nio.file.Path;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What the trust policy (configuration {@code io.atrium.trust}) and the capability policy
 * (configuration {@code io.atrium.capabilities}) ask of a transport's plugins, read once by the core and
 * asked by every transport: whether the transport may deploy at all, whether its manifests must be
 * signed or pin their files, whether a file of the plugin folder may be a link leading outside it,
 * whether a manifest's detached signature is by a trusted key, and (since 1.5) whether a plugin lacks a
 * capability its contract's consumers require. The core watches the trust store's and the revocation
 * lists' files; whenever either policy or those files change, the service property {@link #GENERATION}
 * grows, so a transport that references this service with an {@code updated} method is told and judges
 * its running plugins again. A service of Atrium's core, registered once the policy in force is known:
 * a transport that requires it deploys nothing before.
 *
 * <p>Transports are named by the id they declare ({@link ArtifactHandler#kind()}): lower-case letters,
 * digits and {@code -}; {@code bundle} stands for in-process plugin bundles.
 *
 * @since 1.4
 */
@ProviderType
public interface TransportTrust {
    /** Service property (a {@code Long}): grows at every change of either policy or of the trust policy's files. */
    String GENERATION = "generation";

    /**
     * @param transport a transport's id
     * @return why the policy refuses every plugin of this transport, one line to follow "is refused: it
     *         is a T plugin, and " (e.g. {@code the trust policy allows only wasm plugins (io.atrium.trust
     *         transports)}); null when it allows them
     */
    String transportRefusal(String transport);

    /**
     * @param transport a transport's id
     * @return whether its manifests must come with a detached signature by a trusted key
     *         ({@code requireSignedManifests})
     */
    boolean requiresSignedManifests(String transport);

    /**
     * @param transport a transport's id
     * @return whether its manifests must pin their files by SHA-256 ({@code requirePins})
     */
    boolean requiresPins(String transport);

    /** @return whether a symbolic link in the plugin folder may lead outside it ({@code allowLinksOutside}) */
    boolean allowsLinksOutside();

    /**
     * Judges a manifest's detached signature ({@code FILE.sig} beside it) by the trust store and the
     * revocation lists as their files are now.
     *
     * @param transport the manifest's transport's id (whether a signature is required)
     * @param manifest  the manifest file
     * @param content   its bytes as deployed
     * @return why it is refused, one line ({@code it has no signature x.plugin.json.sig, and …}, {@code
     *         x.plugin.json.sig is not a signature of this file by a key the trust store holds}); null
     *         when a trusted key signed it, or it is unsigned and no signature is required
     */
    String signatureRefusal(String transport, Path manifest, byte[] content);

    /**
     * Judges the capabilities a plugin declares (a process plugin's handshake, a module's manifest) by the
     * capability policy in force.
     *
     * @param contract the plugin's contract, by its interface's name
     * @param declared the capabilities it declares
     * @return why it is refused, one line to follow "it " ({@code lacks the capability shout, which the
     *         configuration io.atrium.capabilities requires of every Greeter}); null when it declares what
     *         the policy requires of its contract
     * @since 1.5
     */
    String capabilityRefusal(String contract, List<Capability> declared);

    /**
     * @param contract a contract, by its interface's name
     * @return the capability policy's rule for it as the configuration would write it, for a log line
     *         ({@code io.atrium.api.greeting.Greeter = greet, shout}; {@code CONTRACT = } when it requires nothing)
     * @since 1.5
     */
    String capabilityRule(String contract);

    /** @return the value of {@link #GENERATION} now: a verdict given under another number is stale */
    long generation();
}
