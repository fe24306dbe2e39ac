package io.atrium.core.trust;

import io.atrium.transport.support.ManifestFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What configuration {@code io.atrium.trust} says of transports, read once for the core and every
 * transport: which may deploy ({@code transports}), whose manifests must be signed
 * ({@code requireSignedManifests}) or pin their files ({@code requirePins}), and whether links may
 * lead outside the plugin folder. Transports are named by the id they declare, so any well-formed id is
 * accepted, one no installed transport declares too (it may be installed later); {@code *} names
 * every transport.
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
    private static final Pattern ID = Pattern.compile("[a-z0-9-]+");
    private static final String WELL_FORMED = "a transport id (lower-case letters, digits and -) or *";

    /**
     * @param properties the configuration's properties
     * @param malformed  told, for each listed value that is no transport id, why it is ignored (one line)
     * @return the rules they set
     */
    static TransportRules of(Map<String, Object> properties, java.util.function.Consumer<String> malformed) {
        Object transports = properties.get("transports");
        return new TransportRules(transports == null ? null : ids("transports", transports, malformed),
                ids("requireSignedManifests", properties.get("requireSignedManifests"), malformed),
                ids("requirePins", properties.get("requirePins"), malformed),
                "true".equalsIgnoreCase(String.valueOf(properties.get("allowLinksOutside")).strip()));
    }

    /**
     * @param key   one of {@link #LIST_KEYS}
     * @param value its value as configured
     * @return why it is not a list of transport ids, one line naming the key and the value; or null
     */
    static String problem(String key, Object value) {
        List<String> problems = new ArrayList<>();
        ids(key, value, problems::add);
        return problems.isEmpty() ? null : problems.get(0);
    }

    /** A list's ids in lower case (as configurations have always been read), without the malformed ones. */
    private static List<String> ids(String key, Object value, java.util.function.Consumer<String> malformed) {
        List<String> ids = new ArrayList<>();
        for (String v : ManifestFields.values(value)) {
            String id = v.toLowerCase(Locale.ROOT);
            if (id.equals(ALL) || ID.matcher(id).matches()) {
                ids.add(id);
            } else {
                malformed.accept(key + " names '" + v + "', which is not " + WELL_FORMED);
            }
        }
        return List.copyOf(ids);
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
