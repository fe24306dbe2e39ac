package io.atrium.transport.support.launch;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a manifest's command runs, as far as the host can tell, so that {@code requirePins} can ask
 * that it be pinned. The program is the executable when the command names it by path; when the
 * executable is an interpreter the host knows (python, node, sh and its kin, ruby, perl, php, java),
 * the interpreter is trusted as a system file and the program is the script it is given: its first
 * argument that is not an option ({@code java}: the jar after {@code -jar}, or a {@code .java} file).
 * A program that cannot be named as a file (code on the command line, a module or class looked up on
 * a search path, a script read from stdin, a module loaded before the script, a program found on the
 * PATH that is no interpreter the host knows) is refused under {@code requirePins}, as is an
 * environment variable through which an interpreter or the dynamic linker loads other code.
 *
 * @param interpreter the interpreter's family ({@code python}, {@code node}, {@code shell}, {@code ruby},
 *                    {@code perl}, {@code php}, {@code java}), or null for any other executable
 * @param script      the file an interpreter runs, resolved against the plugin folder, or null
 * @param refusal     why the program cannot be named as a file ("runs code given on its command line (-c)"), or null
 */
public record Program(String interpreter, Path script, String refusal) {

    /**
     * Variables through which an interpreter or the dynamic linker loads code or bytecode from
     * elsewhere than the command says; a manifest under {@code requirePins} may neither set nor inherit them.
     */
    static final Set<String> LOADS_CODE = Set.of("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONPYCACHEPREFIX",
            "PYTHONUSERBASE", "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "PYTHONCHECKHASHBASEDPYCS",
            "NODE_OPTIONS", "NODE_PATH", "NODE_COMPILE_CACHE", "PERL5LIB", "PERLLIB", "PERL5OPT", "RUBYLIB", "RUBYOPT",
            "PHPRC", "PHP_INI_SCAN_DIR", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "BASH_ENV", "ENV", "CLASSPATH",
            "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS",
            // an OpenSSL configuration loads providers and engines (native code) into whatever uses OpenSSL: node, Python's ssl
            "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES",
            // RubyGems evaluates a Gemfile found from the working directory, and activates gems from these folders
            "RUBYGEMS_GEMDEPS", "GEM_PATH", "GEM_HOME");

    /** @return the program of the manifest's command */
    public static Program of(Launchable m) {
        List<String> cmd = m.command();
        String exe = cmd.get(0);
        String family = family(exe.substring(exe.lastIndexOf('/') + 1));
        if (family == null || insideFolder(m, exe) || exe.contains("/") && !systemFile(m.folder().resolve(exe))) {
            // an interpreter of the plugin's own, or one anybody could have put there, is a program of it like any other
            return exe.contains("/") ? new Program(null, null, null)
                    : new Program(null, null, "runs " + exe + " from the PATH, which is neither a file of the plugin nor an interpreter "
                    + "Atrium knows (name the program by its path and pin it)");
        }
        List<String> args = cmd.subList(1, cmd.size());
        String[] found = switch (family) {
            case "python" -> python(args);
            case "node" -> node(args);
            case "shell" -> shell(args);
            case "java" -> java(args);
            default -> strict(family, args);
        };
        if (found[1] != null) {
            return new Program(family, null, found[1].replace("%s", exe));
        }
        if (found[0] == null) {
            return new Program(family, null, "runs " + exe + " without a script (it would read one from stdin)");
        }
        try {
            return new Program(family, m.folder().resolve(found[0]).normalize(), null);
        } catch (InvalidPathException e) {
            return new Program(family, null, "runs " + exe + " on '" + found[0] + "', which is no path");
        }
    }

    /**
     * @return what of the plugin would run or be read without a pin, under {@code requirePins}, in one
     *         line ("runs greeter.py, which it does not pin"), or null when everything the command names is pinned
     */
    public static String unpinned(Launchable m) {
        Program p = of(m);
        if (p.refusal() != null) {
            return p.refusal();
        }
        List<Path> named = new ArrayList<>();
        if (p.script() != null) {
            named.add(p.script());
        }
        String exe = m.command().get(0);
        for (Path f : m.files()) {
            // the interpreter outside the folder is a system file; every other file the command names is the plugin's
            if (!(p.interpreter() != null && f.equals(m.folder().resolve(exe).normalize())) && !named.contains(f)) {
                named.add(f);
            }
        }
        for (Path f : named) {
            if (!m.pins().containsKey(f)) {
                return "runs " + relative(m, f) + ", which it does not pin";
            }
        }
        for (Map.Entry<String, String> e : m.env().entrySet()) {
            String why = loadsCode(m, e.getKey(), e.getValue());
            if (why != null) {
                return "sets " + e.getKey() + " (field env), " + why;
            }
        }
        for (String name : m.inheritEnv()) {
            if (!name.equals("HOME") && !name.equals("PATH") && loadsCode(m, name, "") != null) { // the server's HOME is passed anyway (Launcher.ALLOWED_ENV)
                return "inherits " + name + " (field inheritEnv), through which an interpreter or the dynamic linker loads code no pin covers";
            }
        }
        return null;
    }

    private static String loadsCode(Launchable m, String name, String value) {
        if (LOADS_CODE.contains(name)) {
            return "through which an interpreter or the dynamic linker loads code no pin covers";
        }
        if (name.equals("HOME")) { // Python runs the .pth files of HOME/.local/…/site-packages at start
            return "under which Python and Node look for packages no pin covers";
        }
        if (name.equals("PATH")) {
            return pathRefusal(m, value);
        }
        return null;
    }

    /** A PATH may lead only to the system's programs: a program found elsewhere runs unpinned, by name. */
    private static String pathRefusal(Launchable m, String value) {
        for (String d : value.split(":", -1)) {
            if (!d.startsWith("/")) {
                return "whose relative entries find programs in the working directory, which no pin covers";
            }
            Path dir;
            try {
                dir = Path.of(d).normalize();
            } catch (InvalidPathException e) {
                return "whose entry '" + d + "' is no path";
            }
            if (dir.startsWith(m.folder()) || real(dir).startsWith(real(m.folder()))) {
                return "whose entry " + d + " is in the plugin folder, where it finds programs no pin covers";
            }
            if (!systemFile(dir)) {
                return "whose entry " + d + " others may write, so a program found there runs unpinned";
            }
        }
        return null;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (java.io.IOException e) {
            return p;
        }
    }

    private static String relative(Launchable m, Path f) {
        return f.startsWith(m.folder()) ? m.folder().relativize(f).toString() : f.toString();
    }

    private static boolean insideFolder(Launchable m, String exe) {
        try {
            return exe.contains("/") && m.folder().resolve(exe).normalize().startsWith(m.folder());
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /**
     * @return whether a file is trusted as the system's: it and every folder above it (links followed)
     *         belong to root or the server's user, and no one else may write them. /tmp/python3 is not.
     */
    static boolean systemFile(Path file) {
        try {
            String me = System.getProperty("user.name");
            for (Path p = file.toRealPath(); p != null; p = p.getParent()) {
                java.nio.file.attribute.PosixFileAttributes a = java.nio.file.Files.readAttributes(p,
                        java.nio.file.attribute.PosixFileAttributes.class);
                String owner = a.owner().getName();
                if (!owner.equals("root") && !owner.equals(me)
                        || a.permissions().contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                        || a.permissions().contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                    return false;
                }
            }
            return true;
        } catch (java.nio.file.NoSuchFileException e) {
            return true; // missing: the deploy says so, naming it
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false; // no POSIX owners to judge by
        }
    }

    /** Interpreter families by the names of their executables (compiled once: a launch asks, and exec mode launches per call). */
    private static final java.util.regex.Pattern FAMILY = java.util.regex.Pattern.compile(
            "(?<python>(python|pypy)[0-9.]*)|(?<node>node|nodejs)|(?<shell>sh|bash|dash|zsh|ksh|mksh|ash)"
                    + "|(?<ruby>ruby[0-9.]*)|(?<perl>perl[0-9.]*)|(?<php>php[0-9.]*)|(?<java>java)");
    private static final List<String> FAMILIES = List.of("python", "node", "shell", "ruby", "perl", "php", "java");

    /** @return the interpreter family an executable's file name belongs to, or null */
    static String family(String name) {
        java.util.regex.Matcher m = FAMILY.matcher(name.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            for (String f : FAMILIES) {
                if (m.group(f) != null) {
                    return f;
                }
            }
        }
        return null;
    }

    private static final String INLINE = "runs code given on its command line (%s ";
    private static final String NO_FILE = "), not a file it pins";

    private static String[] script(String file) {
        return new String[] {file, null};
    }

    private static String[] refused(String why) {
        return new String[] {null, why};
    }

    /** CPython's options: {@code -c} and {@code -m} name no file; {@code -W}, {@code -X} take a value. */
    private static String[] python(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-")) {
                return refused("runs %s on a script read from stdin (-), not a file it pins");
            } else if (a.equals("--")) {
                return i + 1 < args.size() ? script(args.get(i + 1)) : script(null);
            } else if (a.equals("--check-hash-based-pycs")) {
                i++;
            } else if (a.startsWith("--")) {
                return refused("runs %s with the option " + a + ", which Atrium does not judge");
            } else if (a.startsWith("-")) {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    if (c == 'c') {
                        return refused(INLINE + "-c" + NO_FILE);
                    } else if (c == 'm') {
                        return refused("runs a module looked up by name (%s -m " + (j + 1 < a.length() ? a.substring(j + 1)
                                : i + 1 < args.size() ? args.get(i + 1) : "") + "), not a file it pins");
                    } else if (c == 'W' || c == 'X') {
                        String value = j + 1 < a.length() ? a.substring(j + 1) : i + 1 < args.size() ? args.get(i + 1) : "";
                        if (j + 1 == a.length()) {
                            i++; // the value is the next argument
                        }
                        if (c == 'X' && (value.startsWith("pycache_prefix") || value.startsWith("presite"))) {
                            // bytecode is read from the prefix (-B stops only writing), a module run before the script
                            return refused("runs %s with -X " + value.split("=")[0] + ", which reads bytecode no pin covers");
                        }
                        break;
                    } else if ("bBdEhiIOqsSuvVxRP?".indexOf(c) < 0) {
                        return refused("runs %s with the option -" + c + ", which Atrium does not judge");
                    }
                }
            } else {
                return script(a);
            }
        }
        return script(null);
    }

    /** Node's options: most take their value after '='; these take the next argument, or load code first. */
    private static final Set<String> NODE_VALUES = Set.of("-C", "--conditions", "--input-type", "--title", "--stack-trace-limit");
    private static final Set<String> NODE_INLINE = Set.of("-e", "--eval", "-p", "--print", "-pe");
    private static final Set<String> NODE_PRELOAD = Set.of("-r", "--require", "--import", "--loader", "--experimental-loader",
            "--env-file", "--env-file-if-exists", "--experimental-policy", "--openssl-config", "--snapshot-blob", "--test-reporter");
    /** The inspector runs what whoever reaches its port sends. */
    private static final Set<String> NODE_INSPECTOR = Set.of("--inspect", "--inspect-brk", "--inspect-wait", "--inspect-port", "--debug-port");
    /**
     * Node's options that take no value. Any other option must give its value after '=': node takes
     * "--opt a b" as an option, its value and the script, so an option Atrium does not know would make it
     * judge the wrong argument as the script (and leave the one that runs unpinned).
     */
    private static final Set<String> NODE_FLAGS = Set.of("-c", "--check", "-i", "--interactive", "-h", "--help", "-v", "--version",
            "--abort-on-uncaught-exception", "--build-snapshot", "--cpu-prof", "--heap-prof", "--disable-wasm-trap-handler",
            "--disallow-code-generation-from-strings", "--enable-fips", "--force-fips", "--enable-source-maps", "--expose-gc",
            "--experimental-vm-modules", "--experimental-wasm-modules", "--experimental-require-module", "--experimental-import-meta-resolve",
            "--experimental-websocket", "--experimental-eventsource", "--experimental-test-coverage", "--experimental-print-required-tla",
            "--experimental-permission", "--allow-addons", "--allow-child-process", "--allow-wasi", "--allow-worker",
            "--force-context-aware", "--frozen-intrinsics", "--huge-max-old-generation-size", "--insecure-http-parser",
            "--interpreted-frames-native-stack", "--jitless", "--openssl-legacy-provider", "--openssl-shared-config",
            "--pending-deprecation", "--preserve-symlinks", "--preserve-symlinks-main", "--prof", "--report-compact",
            "--report-on-fatalerror", "--report-on-signal", "--report-uncaught-exception", "--report-exclude-network", "--test",
            "--test-only", "--test-force-exit", "--throw-deprecation", "--tls-max-v1.2", "--tls-max-v1.3", "--tls-min-v1.0",
            "--tls-min-v1.1", "--tls-min-v1.2", "--tls-min-v1.3", "--trace-atomics-wait", "--trace-deprecation", "--trace-exit",
            "--trace-promises", "--trace-sigint", "--trace-sync-io", "--trace-tls", "--trace-uncaught", "--trace-warnings",
            "--track-heap-objects", "--use-bundled-ca", "--use-openssl-ca", "--watch", "--watch-preserve-output", "--zero-fill-buffers");

    private static String[] node(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String option = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (a.equals("-")) {
                return refused("runs %s on a script read from stdin (-), not a file it pins");
            } else if (a.equals("--")) {
                return i + 1 < args.size() ? script(args.get(i + 1)) : script(null);
            } else if (NODE_INLINE.contains(option)) {
                return refused(INLINE + a + NO_FILE);
            } else if (NODE_PRELOAD.contains(option)) {
                return refused("runs %s with " + option + ", which loads code before the script that no pin covers");
            } else if (NODE_INSPECTOR.contains(option)) {
                return refused("runs %s with " + option + ", through which whoever reaches its port runs code no pin covers");
            } else if (NODE_VALUES.contains(a)) {
                i++;
            } else if (a.startsWith("-") && !a.contains("=") && !NODE_FLAGS.contains(a) && !a.startsWith("--no-")) {
                return refused("runs %s with the option " + a + ", which Atrium does not judge (give an option's value after '=')");
            } else if (!a.startsWith("-")) {
                return script(a);
            }
        }
        return script(null);
    }

    /** POSIX shells and bash: {@code -c} runs its argument, {@code -s} reads stdin, {@code -o} takes a value. */
    private static String[] shell(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-") || a.equals("--")) {
                return i + 1 < args.size() ? script(args.get(i + 1)) : script(null);
            } else if (a.equals("--rcfile") || a.equals("--init-file")) {
                return refused("runs %s with " + a + ", which reads a file no pin covers");
            } else if (a.startsWith("--")) {
                continue; // --norc, --posix, --login…: flags
            } else if (a.startsWith("-") || a.startsWith("+")) {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    if (c == 'c') {
                        return refused(INLINE + "-c" + NO_FILE);
                    } else if (c == 's') {
                        return refused("runs %s on a script read from stdin (-s), not a file it pins");
                    } else if (c == 'o' || c == 'O') {
                        i++;
                    } else if (!Character.isLetter(c)) {
                        return refused("runs %s with the option " + a + ", which Atrium does not judge");
                    }
                }
            } else {
                return script(a);
            }
        }
        return script(null);
    }

    /** Options of java that take the next argument as their value. */
    private static final Set<String> JAVA_VALUES = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
            "--upgrade-module-path", "--add-modules", "--add-exports", "--add-opens", "--add-reads", "--limit-modules",
            "--enable-native-access", "--source");

    /** HotSpot options that read more options (an agent) from a file, run a command, or map classes from an archive. */
    private static final Set<String> JAVA_HOTSPOT_LOADS = Set.of("-XX:VMOptionsFile", "-XX:Flags", "-XX:OnError", "-XX:OnOutOfMemoryError",
            "-XX:SharedArchiveFile");

    private static String[] java(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String option = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (a.equals("-jar")) {
                return i + 1 < args.size() ? script(args.get(i + 1)) : script(null);
            } else if (a.equals("-m") || option.equals("--module")) {
                return refused("runs a module looked up on its module path (%s " + a + "), not a file it pins");
            } else if (a.startsWith("@")) {
                return refused("runs %s with options read from " + a.substring(1) + ", which no pin covers");
            } else if (a.startsWith("-javaagent") || a.startsWith("-agentlib") || a.startsWith("-agentpath")
                    || a.startsWith("-Xbootclasspath") || option.equals("--patch-module")) {
                return refused("runs %s with " + option.split(":")[0] + ", which loads code no pin covers");
            } else if (JAVA_HOTSPOT_LOADS.contains(option)) {
                return refused("runs %s with " + option + ", which loads code no pin covers");
            } else if (JAVA_VALUES.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                return a.endsWith(".java") ? script(a)
                        : refused("runs the class " + a + " looked up on its class path, not a file it pins (use -jar with a pinned jar)");
            }
        }
        return script(null);
    }

    /**
     * Ruby, Perl, PHP: only the options below, which load nothing, are judged; any other is refused
     * (their options that run inline code, preload libraries or add search folders are many).
     */
    private static String[] strict(String family, List<String> args) {
        String flags = switch (family) {
            case "ruby" -> "wvdWU";
            case "perl" -> "wWXTtlnpasU";
            default -> "nqH"; // php; -f names the script
        };
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                return i + 1 < args.size() ? script(args.get(i + 1)) : script(null);
            } else if (family.equals("php") && a.equals("-f")) {
                return i + 1 < args.size() ? script(args.get(i + 1)) : script(null);
            } else if (a.equals("-")) {
                return refused("runs %s on a script read from stdin (-), not a file it pins");
            } else if (a.startsWith("-")) {
                for (int j = 1; j < a.length(); j++) {
                    if (flags.indexOf(a.charAt(j)) < 0) {
                        return refused("runs %s with the option " + a + ", which Atrium does not judge");
                    }
                }
            } else {
                return script(a);
            }
        }
        return script(null);
    }

    /** @return whether the command runs CPython, so that the host passes it its bytecode options */
    public boolean python() {
        return "python".equals(interpreter);
    }
}
