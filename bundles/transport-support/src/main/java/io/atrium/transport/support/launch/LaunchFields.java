package io.atrium.transport.support.launch;

import io.atrium.transport.support.ManifestFields;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The manifest fields every transport that runs a process reads the same way, with the same one-line errors. */
public final class LaunchFields {
    /** The fields read here, besides a transport's own. */
    public static final List<String> FIELDS = List.of("command", "env", "inheritEnv", "sha256");

    private LaunchFields() {
    }

    /** Refuses a top-level field no one knows, naming those that are known. */
    public static void onlyKnown(ManifestFields f, Set<String> known) {
        for (String key : f.o().keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown field '" + key + "' (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    /**
     * @param example a command line for the message, e.g. {@code ["python3", "greeter.py"]}
     * @return the {@code command} field: a non-empty array whose first element names the program
     */
    public static List<String> command(ManifestFields f, String example) {
        List<String> command = f.strings("command", null);
        if (command == null || command.isEmpty() || command.get(0).isBlank()) {
            throw new IllegalArgumentException("field 'command': missing; expected the command line as an array, e.g. " + example);
        }
        return List.copyOf(command);
    }

    /** @return the {@code env} field: variables and their values, in order */
    public static Map<String, String> env(ManifestFields f) {
        Map<String, String> env = new LinkedHashMap<>();
        ManifestFields e = f.object("env");
        for (String k : e.o().keySet()) {
            env.put(k, e.string(k, ""));
        }
        return env;
    }
}
