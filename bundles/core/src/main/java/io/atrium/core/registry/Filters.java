package io.atrium.core.registry;

/** Building LDAP filters from values that may hold the filter syntax's special characters. */
public final class Filters {
    private Filters() {
    }

    /** @return the value with {@code \ * ( )} escaped, ready to stand on the right of {@code =} */
    public static String escape(String value) {
        return value.replace("\\", "\\\\").replace("*", "\\*").replace("(", "\\(").replace(")", "\\)");
    }
}
