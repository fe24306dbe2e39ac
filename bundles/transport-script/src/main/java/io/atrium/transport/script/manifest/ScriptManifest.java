package io.atrium.transport.script.manifest;

import io.atrium.api.Capability;
import io.atrium.transport.support.JsonCodec;
import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.kit.KitManifest;
import io.atrium.transport.support.kit.ManifestBasics;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A script plugin: one file, {@code NAME.js} or {@code NAME.lua}, whose first comment is its manifest
 * (the same JSON fields as the other transports' manifests) and whose top-level functions implement
 * its contract's methods. The manifest lives in the script so that the file an author edits, an
 * operator drops and the trust policy signs is one file.
 *
 * @param file            the script's path
 * @param name            the plugin's name (the file name without its ending, unless the header gives one)
 * @param version         the plugin's version
 * @param contract        the contract interface's fully qualified name ({@code Invocable} when none)
 * @param contractVersion the range of the contract package's versions the script was written for
 * @param capabilities    what the plugin declares it supports
 * @param functions       for a script with no contract: the functions it may be called by (empty: all its top-level functions)
 * @param language        JavaScript or Lua, by the file's ending
 * @param source          the whole script, header and all (line numbers in messages are the file's)
 * @param limits          its per-call budget and caps
 * @param calls           the plugins it may call with {@code host.call} ({@code *}: any)
 */
public record ScriptManifest(
        Path file,
        String name,
        String version,
        String contract,
        String contractVersion,
        List<Capability> capabilities,
        List<String> functions,
        Language language,
        String source,
        Limits limits,
        List<String> calls) implements KitManifest {

    /** The script languages, by file ending. */
    public enum Language {
        JAVASCRIPT(".js", "/*", "*/"),
        LUA(".lua", "--[[", "]]");

        /** The file ending. */
        public final String suffix;
        final String open;
        final String close;

        Language(String suffix, String open, String close) {
            this.suffix = suffix;
            this.open = open;
            this.close = close;
        }

        /** @return the language of a file, or null when its ending is no script's */
        public static Language of(Path file) {
            String n = file.getFileName().toString();
            for (Language l : values()) {
                if (n.endsWith(l.suffix) && n.length() > l.suffix.length()) {
                    return l;
                }
            }
            return null;
        }

        /** @return what a header looks like in this language, for messages */
        String example() {
            return open + " atrium { \"version\": \"1.0.0\", \"contract\": \"…\" } " + close;
        }
    }

    /**
     * A script's budget and caps.
     *
     * @param callTimeoutMs   the CPU time one call (and the script's top level, when it is loaded) may take
     * @param maxStackDepth   how deep its calls may nest (JavaScript function calls, Lua calls)
     * @param maxStringLength the longest string its built-in functions may make (repeat, padding, joining, Lua's string.rep)
     * @param maxAllocationMb the most one call may allocate on the heap (all it makes, kept or not)
     * @param maxArrayLength  the longest array (or array-like) the built-in functions that walk one work on, and the most
     *                        arguments a call spreads (apply, unpack)
     */
    public record Limits(long callTimeoutMs, int maxStackDepth, int maxStringLength, long maxAllocationMb, int maxArrayLength) {
        /** 1 s, 1 000 frames, 16 Mi characters, 256 MiB, 1 Mi elements. */
        public static final Limits DEFAULTS = new Limits(1_000, 1_000, 16 << 20, 256, 1 << 20);
    }

    /** The largest script deployed: a larger one is refused before it is parsed. */
    public static final int MAX_SOURCE_BYTES = 4 << 20;

    private static final Set<String> FIELDS = fields();

    private static Set<String> fields() {
        Set<String> all = new HashSet<>(ManifestBasics.FIELDS);
        all.add("limits");
        all.add("calls");
        return Set.copyOf(all);
    }

    /**
     * @param file    the script's path ({@code .js} or {@code .lua})
     * @param content the file's bytes
     * @throws IllegalArgumentException one line: what is wrong with the file or which header field
     */
    public static ScriptManifest parse(Path file, byte[] content) {
        return ManifestFields.inOneLine(() -> read(file, content));
    }

    private static ScriptManifest read(Path file, byte[] content) {
        Language language = Language.of(file);
        if (language == null) {
            throw new IllegalArgumentException("is not a script: a script plugin's file ends with .js or .lua");
        }
        if (content.length == 0) {
            throw new IllegalArgumentException("is empty");
        }
        if (content.length > MAX_SOURCE_BYTES) {
            throw new IllegalArgumentException("is " + (content.length >> 10) + " KiB, over the " + (MAX_SOURCE_BYTES >> 20)
                    + " MiB a script may be");
        }
        String text = JsonCodec.utf8(content);
        if (text == null) {
            throw new IllegalArgumentException("is not UTF-8 text");
        }
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            throw new IllegalArgumentException("holds a NUL character at line " + line(text, nul) + ": not a script");
        }
        String header = header(text, language);
        ManifestFields f;
        try {
            f = ManifestFields.parse(header, language.example());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("header: " + e.getMessage());
        }
        f.onlyKnown(FIELDS.stream().sorted().toArray(String[]::new));
        ManifestBasics basics = ManifestBasics.read(file, f, language.suffix);
        if (basics.name().indexOf('.') >= 0) {
            // its configuration is the file NAME.cfg of the plugin folder: a name with a dot could be another component's
            throw new IllegalArgumentException("field 'name': '" + basics.name() + "' has a '.', which a script plugin's name may not "
                    + "(letters, digits, '_', '-')");
        }
        ManifestFields l = f.object("limits");
        l.onlyKnown("callTimeoutMs", "maxStackDepth", "maxStringLength", "maxAllocationMb", "maxArrayLength");
        Limits d = Limits.DEFAULTS;
        long depth = l.positive("maxStackDepth", d.maxStackDepth());
        if (depth > 10_000) {
            throw new IllegalArgumentException("field 'limits.maxStackDepth': " + depth + " is over 10000");
        }
        long strings = l.positive("maxStringLength", d.maxStringLength());
        if (strings > 256 << 20) {
            throw new IllegalArgumentException("field 'limits.maxStringLength': " + strings + " is over " + (256 << 20));
        }
        long allocation = l.positive("maxAllocationMb", d.maxAllocationMb());
        if (allocation > 4096) {
            throw new IllegalArgumentException("field 'limits.maxAllocationMb': " + allocation + " is over 4096");
        }
        long cpu = l.positive("callTimeoutMs", d.callTimeoutMs());
        if (cpu > 3_600_000) {
            throw new IllegalArgumentException("field 'limits.callTimeoutMs': " + cpu + " is over an hour");
        }
        long arrays = l.positive("maxArrayLength", d.maxArrayLength());
        if (arrays > 64 << 20) {
            throw new IllegalArgumentException("field 'limits.maxArrayLength': " + arrays + " is over " + (64 << 20));
        }
        Limits limits = new Limits(cpu, (int) depth, (int) strings, allocation, (int) arrays);
        List<String> calls = f.strings("calls", List.of());
        for (String c : calls) {
            if (!c.equals("*") && !c.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw new IllegalArgumentException("field 'calls': '" + c + "' is not a plugin name (or * for any)");
            }
        }
        return new ScriptManifest(file, basics.name(), basics.version(), basics.contract(), basics.contractVersion(), basics.capabilities(),
                basics.functions(), language, text, limits, List.copyOf(calls));
    }

    /**
     * @return the JSON of the script's header: its first comment, which starts with the word {@code atrium}
     *         (after a byte-order mark, a {@code #!} line and blank lines)
     */
    static String header(String text, Language language) {
        int i = 0;
        if (text.startsWith("\uFEFF")) {
            i = 1;
        }
        if (text.startsWith("#!", i)) {
            int nl = text.indexOf('\n', i);
            i = nl < 0 ? text.length() : nl + 1;
        }
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        String missing = "has no atrium header: a script plugin starts with its manifest in a comment, " + language.example()
                + " (a script another plugin runs, such as a process plugin's, belongs in a subfolder)";
        if (!text.startsWith(language.open, i)) {
            throw new IllegalArgumentException(missing);
        }
        int start = i + language.open.length();
        int j = start;
        while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
            j++;
        }
        if (!text.startsWith("atrium", j) || j + 6 < text.length() && !Character.isWhitespace(text.charAt(j + 6))) {
            throw new IllegalArgumentException(missing);
        }
        int end = text.indexOf(language.close, j);
        if (end < 0) {
            throw new IllegalArgumentException("header: the comment opened at line " + line(text, i) + " is not closed with " + language.close);
        }
        // the header's JSON keeps its place: Gson's line numbers are the file's, its first line the comment's
        return "\n".repeat(line(text, j) - 1) + " ".repeat(j + 6 - text.lastIndexOf('\n', j) - 1) + text.substring(j + 6, end);
    }

    private static int line(String text, int index) {
        int n = 1;
        for (int k = 0; k < index; k++) {
            if (text.charAt(k) == '\n') {
                n++;
            }
        }
        return n;
    }

    @Override
    public long callTimeoutMs() {
        return limits.callTimeoutMs();
    }

    /** @return true: the code the manifest deploys is the file the trust policy judges, header and all */
    @Override
    public boolean pinned() {
        return true;
    }

    /** @return none: the script is the manifest */
    @Override
    public List<Path> ownFiles() {
        return List.of();
    }
}
