package io.atrium.transport.support;

import io.atrium.api.Capability;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * What configuration {@code io.atrium.capabilities} requires of the plugins of each contract: keys
 * are contract names, values comma-separated capabilities ({@code greet, style;version=2}). A plugin
 * that lacks one is refused, whatever its transport.
 */
public final class CapabilityPolicy {
    /** The configuration's PID. */
    public static final String PID = "io.atrium.capabilities";
    private static final Logger LOG = Logger.getLogger("io.atrium.capabilities");

    private final Map<String, List<Capability>> required;

    private CapabilityPolicy(Map<String, List<Capability>> required) {
        this.required = Map.copyOf(required);
    }

    /** @return the policy of a configuration's properties (keys that are no contract name are skipped) */
    public static CapabilityPolicy of(Map<String, Object> config) {
        Map<String, List<Capability>> next = new HashMap<>();
        config.forEach((key, value) -> {
            if (key.contains(".") && !key.startsWith("service.") && !key.startsWith("component.") && !key.startsWith("felix.")
                    && !key.startsWith("atrium.config")) {
                List<Capability> caps = new ArrayList<>();
                for (String c : String.valueOf(value).split(",")) {
                    if (!c.isBlank()) {
                        try {
                            caps.add(Capability.parse(c));
                        } catch (IllegalArgumentException e) {
                            LOG.warning("configuration " + PID + ", key " + key + ": " + e.getMessage() + "; ignored");
                        }
                    }
                }
                next.put(key, List.copyOf(caps));
            }
        });
        return new CapabilityPolicy(next);
    }

    /** @return the rule for a contract, as the configuration would write it: {@code CONTRACT = a, b;version=2}, or {@code CONTRACT = } */
    public String rule(String contract) {
        return contract + " = " + String.join(", ", required.getOrDefault(contract, List.of()).stream().map(Capability::toString).toList());
    }

    /**
     * @param contract the plugin's contract
     * @param declared the capabilities it declares
     * @return why it is refused (one line), or null
     */
    public String refusal(String contract, List<Capability> declared) {
        List<String> missing = new ArrayList<>();
        for (Capability need : required.getOrDefault(contract, List.of())) {
            if (declared.stream().noneMatch(c -> c.satisfies(need))) {
                missing.add(need.toString());
            }
        }
        return missing.isEmpty() ? null : "lacks the capabilit" + (missing.size() == 1 ? "y " : "ies ") + String.join(", ", missing)
                + ", which the configuration " + PID + " requires of every " + contract.substring(contract.lastIndexOf('.') + 1);
    }
}
