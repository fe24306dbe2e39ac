package io.atrium.transport.support;

/**
 * The one escaping of text that comes from outside (file names, what plugins print, what parsers
 * quote) before it is logged or shown in a table: one line, and nothing a terminal would obey.
 */
public final class Escape {
    private Escape() {
    }

    /**
     * @return the text with line breaks, other control characters (C0, DEL, C1, which hold the terminal
     *         escapes) and the Unicode line and bidirectional-override marks escaped ({@code \n},
     *         {@code \x1b}, {@code \u202e}): a log line or table row stays one true line
     */
    public static String oneLine(String text) {
        int i = 0;
        while (i < text.length() && !special(text.charAt(i))) {
            i++;
        }
        if (i == text.length()) {
            return text; // the common case: nothing to escape, nothing copied
        }
        StringBuilder sb = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!special(c)) {
                sb.append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < 0x100) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.toString();
    }

    private static boolean special(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
