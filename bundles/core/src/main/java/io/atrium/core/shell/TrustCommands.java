package io.atrium.core.shell;

import io.atrium.core.trust.TrustPolicy;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code plugin:trust}: the trust policy in force, and whom it trusts. */
@Component(service = TrustCommands.class, property = {"osgi.command.scope=plugin", "osgi.command.function=trust"})
public final class TrustCommands {
    private final TrustPolicy policy;

    @Activate
    public TrustCommands(@Reference TrustPolicy policy) {
        this.policy = policy;
    }

    @Descriptor("shows the trust policy for plugin bundles (configuration io.atrium.trust) and the trusted signers")
    public String trust() {
        TextTable table = new TextTable("FIELD", "VALUE");
        if (policy.unreadableFile() != null) {
            table.row("policy file", policy.unreadableFile() + "; the strictest policy is in force");
        }
        table
                .row("plugin kinds allowed", policy.transports())
                .row("bundle signatures", policy.mode().name().toLowerCase(java.util.Locale.ROOT))
                .row("trust store", policy.store())
                .row("revocation lists", policy.revocationLists())
                .row("links outside the folder", policy.allowsLinksOutside() ? "allowed" : "refused");
        for (String subject : policy.trustedSubjects()) {
            table.row("trusted signer", subject);
        }
        return table.toString();
    }
}
