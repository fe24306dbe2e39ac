package io.atrium.core.shell;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/** Converts the shell's string arguments to a contract method's parameter types. */
final class ArgumentConverter {
    private ArgumentConverter() {
    }

    /**
     * @return the converted value
     * @throws IllegalArgumentException with a reason naming the expected type
     */
    static Object convert(String text, Class<?> type) {
        try {
            if (type == String.class || type == Object.class || type == CharSequence.class) {
                return text;
            }
            if (type == int.class || type == Integer.class) {
                return Integer.valueOf(text.trim());
            }
            if (type == long.class || type == Long.class) {
                return Long.valueOf(text.trim());
            }
            if (type == double.class || type == Double.class) {
                return Double.valueOf(text.trim());
            }
            if (type == float.class || type == Float.class) {
                return Float.valueOf(text.trim());
            }
            if (type == short.class || type == Short.class) {
                return Short.valueOf(text.trim());
            }
            if (type == byte.class || type == Byte.class) {
                return Byte.valueOf(text.trim());
            }
            if (type == boolean.class || type == Boolean.class) {
                String t = text.trim().toLowerCase(Locale.ROOT);
                if (!t.equals("true") && !t.equals("false")) {
                    throw new IllegalArgumentException("expected true or false");
                }
                return Boolean.valueOf(t);
            }
            if (type == char.class || type == Character.class) {
                if (text.length() != 1) {
                    throw new IllegalArgumentException("expected a single character");
                }
                return text.charAt(0);
            }
            if (type == BigDecimal.class) {
                return new BigDecimal(text.trim());
            }
            if (type == BigInteger.class) {
                return new BigInteger(text.trim());
            }
            if (type.isEnum()) {
                for (Object constant : type.getEnumConstants()) {
                    if (((Enum<?>) constant).name().equalsIgnoreCase(text.trim())) {
                        return constant;
                    }
                }
                throw new IllegalArgumentException("expected one of " + java.util.Arrays.toString(type.getEnumConstants()));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected " + type.getSimpleName() + ", got '" + text + "'");
        }
        throw new IllegalArgumentException("parameters of type " + type.getName() + " cannot be given from the shell");
    }
}
