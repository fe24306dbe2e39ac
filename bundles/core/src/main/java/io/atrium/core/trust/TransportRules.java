package io.atrium.core.trust;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProperties;
import io.atrium.transport.support.ManifestFields;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * What configuration {@code io.atrium.trust} says of transports, read once for the core and every
 * transport: which may deploy ({@code transports}), whose manifests must be signed
 * ({@code requireSignedManifests}) or pin their files ({@code requirePins}), and whether links may
 * lead outside the plugin folder. Transports are named by the id they declare, so any well-formed id is
 * accepted, one no installed transport declares too (it may be installed later); {@code *} names
 * every transport, and {@code bundle} (or {@code in-process}, as plugin lists show it) in-process
 * bundles. A malformed value fails closed: left out of {@code transports}, and in a list of what
 * manifests must bring, read as {@code *}.
 *
 * @param allowed      the transports allowed, or null: every one
 * @param signed       the transports whose manifests must be signed
 * @param pinned       the transports whose manifests must pin their files
 * @param linksOutside whether a symbolic link in the plugin folder may lead outside it
 */
record TransportRules(List<String> allowed, List<String> signed, List<String> pinned, boolean linksOutside) {
    /** The keys that list transports. */
    static final List<String> LIST_KEYS = List.of("transports", "requireSignedManifests", "requirePins");
    /** Every transport, in any of the lists. */
    static final String ALL = "*";
    private static final String WELL_FORMED = "a transport id (lower-case letters, digits and -) or *";
    /** In-process bundles, as the trust policy names them ({@code in-process} is read as this too). */
    static final String BUNDLE = "bundle";

    /**
     * @param properties the configuration's properties
     * @param malformed  told, for each listed value that is no transport id, what becomes of it (one line)
     * @return the rules they set
     */
    static TransportRules of(Map<String, Object> properties, Consumer<String> malformed) {
        Consumer<Problem> told = p -> malformed.accept(p.why() + "; " + p.outcome());
        Object transports = properties.get("transports");
        return new TransportRules(transports == null ? null : ids("transports", transports, told),
                ids("requireSignedManifests", properties.get("requireSignedManifests"), told),
                ids("requirePins", properties.get("requirePins"), told),
                "true".equalsIgnoreCase(String.valueOf(properties.get("allowLinksOutside")).strip()));
    }

    /**
     * @param key   one of {@link #LIST_KEYS}
     * @param value its value as configured
     * @return why it is not a list of transport ids, one line naming the key and the value; or null
     */
    static String problem(String key, Object value) {
        List<String> problems = new ArrayList<>();
        ids(key, value, p -> {
            if (p.malformed()) {
                problems.add(p.why());
            }
        });
        return problems.isEmpty() ? null : problems.get(0);
    }

    /**
     * What is wrong with one listed value.
     *
     * @param why       one line naming the key and the value
     * @param outcome   what becomes of it
     * @param malformed whether it is no transport id at all (else it names something the list cannot mean)
     */
    private record Problem(String why, String outcome, boolean malformed) {}

    /**
     * A list's ids in lower case (as configurations have always been read). A malformed value fails
     * closed: left out of {@code transports}; in a list of what manifests must bring, it makes the list
     * {@code *}, as a typo must not leave a transport unrestricted.
     */
    private static List<String> ids(String key, Object value, Consumer<Problem> told) {
        boolean required = !key.equals("transports");
        List<String> ids = new ArrayList<>();
        boolean failed = false;
        for (String v : ManifestFields.values(value)) {
            String id = v.toLowerCase(Locale.ROOT);
            if (id.equals(PluginProperties.IN_PROCESS)) {
                id = BUNDLE; // the id plugin lists show for bundles: an operator copying it means them
            }
            if (required && id.equals(BUNDLE)) {
                told.accept(new Problem(key + " names '" + v + "', which deploys no manifests (bundles are judged by bundleSignatures)",
                        "left out", false));
            } else if (id.equals(ALL) || isId(id)) {
                ids.add(id);
            } else {
                failed |= required;
                told.accept(new Problem(key + " names '" + v + "', which is not " + WELL_FORMED,
                        required ? "read as " + key + " = *" : "left out", true));
            }
        }
        return failed ? List.of(ALL) : List.copyOf(ids);
    }

    private static boolean isId(String id) {
        try {
            PluginDescriptor.checkTransportId(id);
            return true;
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }

    /** @return the ids the lists name other than {@code *} and {@code bundle}, to tell apart from the transports installed */
    Set<String> named() {
        Set<String> named = new TreeSet<>();
        for (List<String> l : Arrays.asList(allowed, signed, pinned)) {
            if (l != null) {
                named.addAll(l);
            }
        }
        named.remove(ALL);
        named.remove(BUNDLE);
        return named;
    }

    /** @return why a plugin of this transport is refused outright (to follow "is refused: it is a T plugin, and "), or null */
    String refusal(String transport) {
        if (listed(allowed, transport)) {
            return null;
        }
        return "the trust policy allows only " + (allowed.isEmpty() ? "no" : String.join(", ", allowed))
                + " plugins (io.atrium.trust transports)";
    }

    /** @return whether the transport's manifests must carry a trusted signature */
    boolean signs(String transport) {
        return listed(signed, transport);
    }

    /** @return whether the transport's manifests must pin their files */
    boolean pins(String transport) {
        return listed(pinned, transport);
    }

    /** @return the transports allowed as plugin:trust shows them */
    String allowedText() {
        return allowed == null ? "all" : String.join(", ", allowed);
    }

    private static boolean listed(List<String> ids, String transport) {
        return ids == null || ids.contains(ALL) || ids.contains(transport.toLowerCase(Locale.ROOT));
    }
}
