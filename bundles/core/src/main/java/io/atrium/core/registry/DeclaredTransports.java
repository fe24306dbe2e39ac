package io.atrium.core.registry;

import io.atrium.spi.ArtifactHandler;
import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;

/**
 * The transports a bundle declares: its {@code Provide-Capability: io.atrium.artifact;kind=ID;suffix=…}
 * ({@link ArtifactHandler#NAMESPACE}), read from its current revision. What makes a bundle a transport:
 * the folder deployer waits for its files, the trust policy knows its id, and its plugin services may
 * name it as their transport.
 */
public final class DeclaredTransports {
    /**
     * One declaration.
     *
     * @param kind     the transport's id
     * @param suffixes the endings of the plugin folder's files it deploys (none for a transport without files)
     */
    public record Declaration(String kind, List<String> suffixes) {
    }

    private DeclaredTransports() {
    }

    /** @return the bundle's declarations, none when it has no revision (uninstalled) */
    public static List<Declaration> of(Bundle bundle) {
        BundleRevision revision = bundle == null ? null : bundle.adapt(BundleRevision.class);
        List<Declaration> out = new ArrayList<>();
        if (revision != null) {
            for (BundleCapability c : revision.getDeclaredCapabilities(ArtifactHandler.NAMESPACE)) {
                Object kind = c.getAttributes().get("kind");
                if (kind != null) {
                    out.add(new Declaration(kind.toString(), suffixes(c.getAttributes().get("suffix"))));
                }
            }
        }
        return out;
    }

    /** @return whether the bundle declares the transport of this id */
    public static boolean declares(Bundle bundle, String kind) {
        return of(bundle).stream().anyMatch(d -> d.kind().equals(kind));
    }

    /** @return a {@code suffix} attribute's values: a string, or a list of them */
    public static List<String> suffixes(Object attribute) {
        if (attribute instanceof String s) {
            return List.of(s);
        }
        if (attribute instanceof String[] all) {
            return List.of(all);
        }
        if (attribute instanceof List<?> all) {
            return all.stream().map(String::valueOf).toList();
        }
        return List.of();
    }
}
