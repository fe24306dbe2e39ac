package io.atrium.transport.script.js;

import org.mozilla.javascript.ScriptRuntime;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.Undefined;

/**
 * A replacement template's text for one match, as ECMAScript's GetSubstitution makes it ({@code $$}, {@code $&},
 * {@code $`}, {@code $'}, {@code $1}–{@code $99}, {@code $<name>}), from the arguments a replacement function is
 * called with: the match, its captures, its position, the whole string and, when the pattern names groups, the groups.
 * {@link Caps} makes every template a function of this, so that each match's text is counted as it is made.
 */
final class Substitution {
    private Substitution() {
    }

    static String of(String template, Object[] call) {
        int last = call.length - 1;
        Object groups = Undefined.instance;
        if (last >= 3 && !(call[last] instanceof CharSequence)) { // named groups: an object after the string
            groups = call[last];
            last--;
        }
        String subject = ScriptRuntime.toString(call[last]);
        int position = (int) ScriptRuntime.toInteger(call[last - 1]);
        String matched = ScriptRuntime.toString(call[0]);
        int captures = last - 2; // between the match and the position
        StringBuilder out = new StringBuilder(template.length() + 16);
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c != '$' || i + 1 == template.length()) {
                out.append(c);
                continue;
            }
            char n = template.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i++;
            } else if (n == '&') {
                out.append(matched);
                i++;
            } else if (n == '`') {
                out.append(subject, 0, Math.min(position, subject.length()));
                i++;
            } else if (n == '\'') {
                out.append(subject, Math.min(subject.length(), position + matched.length()), subject.length());
                i++;
            } else if (n >= '0' && n <= '9') {
                int one = n - '0';
                boolean twoDigits = i + 2 < template.length() && Character.isDigit(template.charAt(i + 2));
                int two = twoDigits ? one * 10 + (template.charAt(i + 2) - '0') : -1;
                if (two >= 1 && two <= captures) {
                    out.append(capture(call[two]));
                    i += 2;
                } else if (one >= 1 && one <= captures) {
                    out.append(capture(call[one]));
                    i++;
                } else {
                    out.append('$');
                }
            } else if (n == '<' && !(groups instanceof Undefined) && groups != null) {
                int close = template.indexOf('>', i + 2);
                if (close < 0) {
                    out.append('$');
                } else {
                    Object v = groups instanceof Scriptable g ? ScriptableObject.getProperty(g, template.substring(i + 2, close)) : null;
                    out.append(capture(v));
                    i = close;
                }
            } else {
                out.append('$');
            }
        }
        return out.toString();
    }

    private static String capture(Object v) {
        return v == null || v instanceof Undefined || v == Scriptable.NOT_FOUND ? "" : ScriptRuntime.toString(v);
    }
}
