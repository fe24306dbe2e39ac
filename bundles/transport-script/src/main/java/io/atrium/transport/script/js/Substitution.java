package io.atrium.transport.script.js;

import java.util.ArrayList;
import java.util.List;
import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.Undefined;

/**
 * A replacement template, read once for a {@code replace} call, that makes each match's text as ECMAScript's
 * GetSubstitution makes it ({@code $$}, {@code $&}, {@code $`}, {@code $'}, {@code $1}–{@code $99},
 * {@code $<name>}) from the arguments a replacement function is called with: the match, its captures, its
 * position, the whole string and, when the pattern names groups, the groups. {@link Caps} makes every
 * template a function of this, so that each match's text is counted as it is made.
 */
final class Substitution {
    private static final Object MATCH = new Object();
    private static final Object BEFORE = new Object();
    private static final Object AFTER = new Object();

    /** A named group's text. */
    private record Named(String name) {
    }

    /** Literal strings, MATCH, BEFORE, AFTER, capture numbers and {@link Named}s, in order. */
    private final List<Object> parts;

    private Substitution(List<Object> parts) {
        this.parts = parts;
    }

    /**
     * @param captures how many captures the pattern has (a {@code $n} beyond them is text)
     * @param named    whether the pattern names groups (else {@code $<} is text)
     */
    static Substitution compile(String template, int captures, boolean named) {
        List<Object> parts = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c != '$' || i + 1 == template.length()) {
                text.append(c);
                continue;
            }
            char n = template.charAt(i + 1);
            Object part = null;
            int skip = 1;
            if (n == '$') {
                text.append('$');
                i++;
                continue;
            } else if (n == '&') {
                part = MATCH;
            } else if (n == '`') {
                part = BEFORE;
            } else if (n == '\'') {
                part = AFTER;
            } else if (n >= '0' && n <= '9') {
                int one = n - '0';
                int two = i + 2 < template.length() && Character.isDigit(template.charAt(i + 2)) ? one * 10 + (template.charAt(i + 2) - '0') : -1;
                if (two >= 1 && two <= captures) {
                    part = two;
                    skip = 2;
                } else if (one >= 1 && one <= captures) {
                    part = one;
                }
            } else if (n == '<' && named) {
                int close = template.indexOf('>', i + 2);
                if (close >= 0) {
                    part = new Named(template.substring(i + 2, close));
                    skip = close - i;
                }
            }
            if (part == null) {
                text.append('$');
                continue;
            }
            if (text.length() > 0) {
                parts.add(text.toString());
                text.setLength(0);
            }
            parts.add(part);
            i += skip;
        }
        if (text.length() > 0) {
            parts.add(text.toString());
        }
        return new Substitution(parts);
    }

    /** @return how many captures the replacement function's arguments carry, and whether groups come last */
    static int captures(Object[] call) {
        return positionIndex(call) - 1;
    }

    /** @return whether the pattern names groups: an object after the whole string */
    static boolean named(Object[] call) {
        return call.length >= 4 && !(call[call.length - 1] instanceof CharSequence);
    }

    private static int positionIndex(Object[] call) {
        return call.length - (named(call) ? 3 : 2);
    }

    /** @return the match's text */
    String apply(Object[] call) {
        int position = positionIndex(call);
        String subject = ScriptRuntime.toString(call[position + 1]);
        int at = (int) ScriptRuntime.toInteger(call[position]);
        String matched = ScriptRuntime.toString(call[0]);
        Object groups = named(call) ? call[call.length - 1] : null;
        StringBuilder out = new StringBuilder();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.append(s);
            } else if (p == MATCH) {
                out.append(matched);
            } else if (p == BEFORE) {
                out.append(subject, 0, Math.min(at, subject.length()));
            } else if (p == AFTER) {
                out.append(subject, Math.min(subject.length(), at + matched.length()), subject.length());
            } else if (p instanceof Integer n) {
                out.append(text(n < position ? call[n] : null));
            } else if (p instanceof Named named && groups instanceof Scriptable g) {
                out.append(text(ScriptableObject.getProperty(g, named.name())));
            }
        }
        return out.toString();
    }

    private static String text(Object v) {
        return v == null || v instanceof Undefined || v == Scriptable.NOT_FOUND ? "" : ScriptRuntime.toString(v);
    }
}
