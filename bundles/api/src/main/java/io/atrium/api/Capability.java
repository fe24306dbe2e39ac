package io.atrium.api;

import java.util.Objects;

/**
 * A feature a plugin declares, optionally versioned: {@code streaming} or {@code greeting.lang;version=2}.
 *
 * @param name    the capability's name, never empty
 * @param version its version, or 0 when the capability is not versioned
 */
public record Capability(String name, int version) {

    public Capability {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("capability name is empty");
        }
        if (version < 0) {
            throw new IllegalArgumentException("capability '" + name + "' has a negative version " + version);
        }
    }

    /**
     * Parses the text form {@code name} or {@code name;version=N}.
     *
     * @param text the capability as written in a service property or a manifest
     * @return the capability
     * @throws IllegalArgumentException with a one-line reason naming the text
     */
    public static Capability parse(String text) {
        String s = text.trim();
        int semi = s.indexOf(';');
        if (semi < 0) {
            return new Capability(s, 0);
        }
        String attr = s.substring(semi + 1).trim();
        if (!attr.startsWith("version=")) {
            throw new IllegalArgumentException("capability '" + text + "': expected 'name' or 'name;version=N'");
        }
        try {
            return new Capability(s.substring(0, semi).trim(), Integer.parseInt(attr.substring(8).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("capability '" + text + "': version is not a whole number");
        }
    }

    /** @return true when this capability is at least what {@code required} asks for */
    public boolean satisfies(Capability required) {
        return name.equals(required.name) && version >= required.version;
    }

    @Override
    public String toString() {
        return version == 0 ? name : name + ";version=" + version;
    }
}
