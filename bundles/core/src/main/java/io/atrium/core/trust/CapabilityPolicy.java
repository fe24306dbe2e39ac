package io.atrium.core.trust;

import io.atrium.api.Capability;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * What configuration {@code io.atrium.capabilities} requires of the plugins of each contract: keys
 * are contract names, values comma-separated capabilities ({@code greet, style;version=2}). A plugin
 * that lacks one is refused, whatever its transport. Parsed by the core alone ({@link CapabilityRules}),
 * which the transports ask.
 */
final class CapabilityPolicy {
    /** The configuration's PID. */
    static final String PID = "io.atrium.capabilities";
    private static final Logger LOG = Logger.getLogger("io.atrium.capabilities");

    private final Map<String, List<Capability>> required;

    private CapabilityPolicy(Map<String, List<Capability>> required) {
        this.required = Map.copyOf(required);
    }

    /** @return the policy of a configuration's properties (keys that are no contract name are skipped) */
    static CapabilityPolicy of(Map<String, Object> config) {
        Map<String, List<Capability>> next = new HashMap<>();
        config.forEach((key, value) -> {
            if (key.contains(".") && !key.startsWith("service.") && !key.startsWith("component.") && !key.startsWith("felix.")
                    && !key.startsWith("atrium.config")) {
                List<Capability> caps = new ArrayList<>();
                for (String part : String.valueOf(value).split(",")) {
                    String c = part.strip(); // the warning quotes the capability, not the space after its comma
                    if (!c.isEmpty()) {
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
    String rule(String contract) {
        return contract + " = " + String.join(", ", requiredOf(contract).stream().map(Capability::toString).toList());
    }

    /** @return what the policy requires of a contract's plugins; nothing of a plugin that names no contract */
    private List<Capability> requiredOf(String contract) {
        return contract == null ? List.of() : required.getOrDefault(contract, List.of());
    }

    /**
     * @param contract the plugin's contract
     * @param declared the capabilities it declares
     * @return why it is refused (one line), or null
     */
    String refusal(String contract, List<Capability> declared) {
        List<String> missing = new ArrayList<>();
        for (Capability need : requiredOf(contract)) {
            if (declared.stream().noneMatch(c -> c.satisfies(need))) {
                missing.add(need.toString());
            }
        }
        return missing.isEmpty() ? null : "lacks the capabilit" + (missing.size() == 1 ? "y " : "ies ") + String.join(", ", missing)
                + ", which the configuration " + PID + " requires of every " + contract.substring(contract.lastIndexOf('.') + 1);
    }
}
