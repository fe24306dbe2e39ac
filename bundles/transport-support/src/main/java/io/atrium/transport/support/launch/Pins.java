package io.atrium.transport.support.launch;

import com.google.gson.JsonElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A manifest's {@code sha256} field, read the same way by every transport that runs processes. */
public final class Pins {
    private Pins() {
    }

    /**
     * The {@code sha256} field: one digest when the command names one file of the plugin (a binary,
     * a script), or an object of digests by file name (relative to the manifest) for several.
     *
     * @return the pins, each file resolved against the manifest's folder
     * @throws IllegalArgumentException one line naming the field at fault
     */
    public static Map<Path, String> read(JsonElement value, Launchable m) {
        List<Path> files = m.files();
        Map<Path, String> pins = new LinkedHashMap<>();
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
            if (files.size() != 1) {
                throw new IllegalArgumentException("field 'sha256': the command names " + files.size() + " files of the plugin "
                        + names(m, files) + "; pin each by name, e.g. {\"greeter.py\": \"…\"}");
            }
            pins.put(files.get(0), digest(value.getAsString(), "sha256"));
        } else if (value.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
                Path p = m.folder().resolve(e.getKey()).normalize();
                // a file the command names, or one it loads from beside it (a module of a pinned script)
                if (!files.contains(p) && !(p.startsWith(m.folder()) && Files.isRegularFile(p))) {
                    throw new IllegalArgumentException("field 'sha256': '" + e.getKey() + "' is neither a file the command names "
                            + names(m, files) + " nor a file in the plugin's folder");
                }
                if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException("field 'sha256." + e.getKey() + "': expected a SHA-256 in hex");
                }
                pins.put(p, digest(e.getValue().getAsString(), "sha256." + e.getKey()));
            }
        } else {
            throw new IllegalArgumentException("field 'sha256': expected a SHA-256 in hex, or an object of them by file name");
        }
        return Map.copyOf(pins);
    }

    private static String digest(String hex, String field) {
        String d = hex.strip().toLowerCase(java.util.Locale.ROOT);
        if (!d.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("field '" + field + "': '" + hex + "' is not a SHA-256 (64 hex digits)");
        }
        return d;
    }

    private static String names(Launchable m, List<Path> files) {
        return files.stream().map(f -> m.folder().relativize(f).toString()).toList().toString();
    }
}
