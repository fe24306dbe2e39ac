package io.atrium.core.trust;

import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The trust policy's file in the plugin folder ({@code io.atrium.trust.cfg} or {@code .json}), read
 * strictly: a torn, empty or binary file must not silently mean the lenient defaults. What cannot be
 * read wholly is replaced by the strictest policy (fail closed), which refuses what cannot be judged.
 */
public final class PolicyFile {
    /** Set on the strictest configuration put in place of an unreadable file: why it could not be read. */
    public static final String UNREADABLE_PROPERTY = "atrium.trust.unreadable";
    /** What the strictest policy asks, as the log and plugin:trust say it. */
    public static final String STRICTEST = "bundleSignatures = enforce, requirePins = *, requireSignedManifests = *, "
            + "allowLinksOutside = false, the default trust store";
    private static final Set<String> KEYS = Set.of("bundleSignatures", "trustStore", "trustStorePassword", "revocationLists",
            "transports", "allowLinksOutside", "requirePins", "requireSignedManifests");

    private PolicyFile() {
    }

    /** @return whether a file of the plugin folder is the trust policy's */
    public static boolean is(String fileName) {
        return fileName.equals(TrustPolicy.PID + ".cfg") || fileName.equals(TrustPolicy.PID + ".json");
    }

    /**
     * @param properties the file's properties, parsed
     * @param ignored    a key the deployer adds (the file's name), not the file's own
     * @return why the file cannot be read as a trust policy (nothing in it, a key or value that is not
     * the policy's: a torn or mistyped file), or null when every property is understood
     */
    public static String unreadable(Map<String, Object> properties, String ignored) {
        if (properties.keySet().stream().allMatch(ignored::equals)) {
            return "it holds no property";
        }
        for (Map.Entry<String, Object> p : properties.entrySet()) {
            String key = p.getKey();
            if (key.equals(ignored)) {
                continue;
            }
            if (!KEYS.contains(key)) {
                return "it has the property '" + key + "', which the trust policy does not know";
            }
            String problem = switch (key) {
                case "bundleSignatures" -> oneOf(key, p.getValue(), List.of("off", "warn", "enforce"));
                case "allowLinksOutside" -> oneOf(key, p.getValue(), List.of("true", "false"));
                case "transports", "requirePins", "requireSignedManifests" -> TransportRules.problem(key, p.getValue());
                default -> null;
            };
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String oneOf(String key, Object value, List<String> allowed) {
        String v = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
        return allowed.contains(v) ? null : key + " is '" + value + "', not " + String.join(" or ", allowed);
    }

    /**
     * @param why       why the file cannot be read
     * @param fileKey   the deployer's key naming the file, and its value
     * @param fileName  the file's name
     * @return the strictest policy, standing in for the file until it is mended
     */
    public static Hashtable<String, Object> strictest(String why, String fileKey, String fileName) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("bundleSignatures", "enforce");
        p.put("requirePins", TransportRules.ALL); // every transport, those installed later too
        p.put("requireSignedManifests", TransportRules.ALL);
        p.put("allowLinksOutside", "false");
        p.put(UNREADABLE_PROPERTY, fileName + " cannot be read (" + why + ")");
        p.put(fileKey, fileName);
        return p;
    }
}
