package io.atrium.transport.support.launch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a manifest into a process: the executable checked, the environment reduced to an allow-list
 * plus the protocol's variables, and the memory and CPU caps applied by the operating system
 * ({@code setrlimit}, by the {@link NativeLauncher native launcher}; where there is none, through
 * util-linux {@code prlimit}, or the shell's {@code ulimit}, behind the orphan guard's held launch).
 */
public final class Launcher implements AutoCloseable {
    private final Map<String, String> hostEnv;
    private final VerifiedCopies verified;
    private final OrphanGuard guard;
    /** Where the native launcher goes; it is put there at the first launch, not at the server's start. */
    private final Path nativeFolder;
    /** Guarded by this: null until the first launch, then the native launcher or empty where there is none. */
    private java.util.Optional<NativeLauncher> nativeLauncher;
    /** Guarded by this. */
    private boolean closed;

    /** The variable that carries a launch's mark ({@link OrphanGuard}), in every transport's plugins (docs/protocol.md). */
    public static final String INSTANCE_ENV = "ATRIUM_PLUGIN_INSTANCE";
    /** Host variables every plugin gets; everything else must be asked for in the manifest. */
    public static final List<String> ALLOWED_ENV = List.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR");
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");

    /**
     * @param hostEnv  variables the host adds for every plugin, e.g. {@code ATRIUM_HOME}
     * @param verified the private folder that pinned files are run from (see {@link VerifiedCopies})
     * @param guard    told of every process started, so none outlives the server
     */
    public Launcher(Map<String, String> hostEnv, Path verified, OrphanGuard guard) {
        this(hostEnv, verified, guard, verified.resolveSibling("bin"));
    }

    /** @param nativeFolder an owner-only folder for the native launcher, or null to launch through the shell */
    public Launcher(Map<String, String> hostEnv, Path verified, OrphanGuard guard, Path nativeFolder) {
        this.hostEnv = Map.copyOf(hostEnv);
        this.verified = new VerifiedCopies(verified);
        this.guard = guard;
        this.nativeFolder = nativeFolder;
    }

    /**
     * @return the folder of the verified copy of the process transport's Python helper (only the bundle
     *         built with it has it; see {@link VerifiedCopies#sdk()})
     */
    public Path pythonHelper() throws IOException {
        return verified.sdk();
    }

    /** @return the native launcher, installed at the first call, or null where there is none */
    synchronized NativeLauncher nativeLauncher() throws IOException {
        if (closed) {
            throw new IOException("the process transport is stopping");
        }
        if (nativeLauncher == null) {
            nativeLauncher = java.util.Optional.ofNullable(nativeFolder == null ? null : NativeLauncher.install(nativeFolder));
        }
        return nativeLauncher.orElse(null);
    }

    /**
     * Ends the native launcher's spawner thread, which kills what it started and still runs: called once
     * the plugins were stopped.
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (nativeLauncher != null) {
            nativeLauncher.ifPresent(NativeLauncher::close);
        }
    }

    /** Forgets the verified copies of an undeployed plugin. */
    public void discardCopies(String plugin) {
        try {
            verified.discard(plugin);
        } catch (IOException e) {
            java.util.logging.Logger.getLogger("io.atrium.transport.process").fine("verified copies of " + plugin + " stay: " + e);
        }
    }

    /**
     * Checks that the command can be run.
     *
     * @return the executable's path
     * @throws IllegalArgumentException naming the executable and what is wrong with it
     */
    public static Path executable(Launchable m) {
        return executable(m, System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    }

    /** @param path the PATH a name without '/' is looked up on */
    static Path executable(Launchable m, String path) {
        String exe = m.command().get(0);
        if (exe.contains("/")) {
            Path p = m.folder().resolve(exe).normalize();
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("executable " + exe + " is missing (looked for " + p + ")");
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                throw new IllegalArgumentException("executable " + exe + " is not executable (chmod +x " + p.getFileName() + ")");
            }
            return p;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.startsWith("/")) {
                continue; // relative to the working directory, the plugin folder: what it finds there is no system program
            }
            Path p = Path.of(d, exe);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("command '" + exe + "' is not on the PATH (" + path + ")");
    }

    /**
     * A started plugin process and its launch's mark, which every process it starts inherits
     * ({@link Marks}): what is killed when it ends, or when it is killed.
     */
    public record Launched(Process process, String mark) {
        /** Kills the process and every process it started, those that left its group or session too. */
        public void killAll() {
            process.destroyForcibly();
            process.descendants().forEach(ProcessHandle::destroyForcibly); // children that cleared their environment
            Marks.kill(mark);
        }
    }

    /**
     * @param protocolEnv the variables the transport's protocol gives the plugin (a cookie, versions): set
     *                    last, so that no manifest can change them
     * @return a started process for the manifest, not yet spoken to; once it ends, every process it
     *         started is killed
     * @throws PluginRejectedException when a pinned file's SHA-256 differs from its pin: it changed
     *                                 behind Atrium's back, and launching it again would not help
     */
    public Launched start(Launchable m, Map<String, String> protocolEnv) throws IOException {
        Map<Path, Path> copies = verified.prepare(m);
        NativeLauncher launch = nativeLauncher();
        List<String> cmd = new ArrayList<>();
        if (launch == null) {
            cmd.addAll(guard.launchPrefix());
            cmd.addAll(limits(m));
        }
        Path exe = executable(m);
        cmd.add(copies.getOrDefault(exe, exe).toString());
        if (Program.of(m).python()) {
            // no bytecode written beside the copies, the helper or the plugin's files; an option, since -E and -I ignore the variable below
            cmd.add("-B");
        }
        for (String arg : m.command().subList(1, m.command().size())) {
            cmd.add(copies.isEmpty() ? arg : verifiedArgument(m, arg, copies));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(m.folder().toFile());
        Map<String, String> env = pb.environment();
        Map<String, String> host = System.getenv(); // the same as env's copy of it, and not copied again
        env.clear();
        for (String k : ALLOWED_ENV) {
            if (host.containsKey(k)) {
                env.put(k, host.get(k));
            }
        }
        for (String k : m.inheritEnv()) {
            if (host.containsKey(k)) {
                env.put(k, host.get(k));
            }
        }
        env.putAll(hostEnv);
        env.put("PYTHONDONTWRITEBYTECODE", "1"); // for the Pythons a plugin starts itself
        env.putAll(m.env());
        env.putAll(protocolEnv); // after the manifest's: a manifest cannot set what the transport's protocol says
        String mark = guard.mark();
        env.put(INSTANCE_ENV, mark);
        Process p = launch != null ? launch.spawn(pb, m.memoryMb() * 1024 * 1024, m.cpuSeconds()) : pb.start();
        try {
            guard.watch(p, mark, launch == null && !guard.launchPrefix().isEmpty());
        } catch (IOException e) {
            p.destroyForcibly(); // held, never ran the plugin
            throw e;
        }
        return new Launched(p, mark);
    }

    /** @return the argument, or the path of its verified copy when it names a pinned file */
    private static String verifiedArgument(Launchable m, String arg, Map<Path, Path> copies) {
        if (arg.isEmpty() || arg.startsWith("-")) {
            return arg;
        }
        try {
            Path copy = copies.get(m.folder().resolve(arg).normalize());
            return copy == null ? arg : copy.toString();
        } catch (java.nio.file.InvalidPathException notAPath) {
            return arg;
        }
    }

    /**
     * What a deploy checks of a manifest that runs a process, for every such transport: what the command
     * runs exists, is executable and matches its pins, and it and the other files it names are judged by
     * the trust policy as the folder's files are (links).
     *
     * @param others further files of the plugin the policy judges (a descriptor set)
     * @throws IllegalArgumentException one line: {@code cannot be run: …} or {@code is refused: …}
     */
    public static void checkRunnable(io.atrium.transport.support.ManifestPolicy policy, Launchable m, List<Path> others) {
        List<Path> runs = new ArrayList<>(m.pins().keySet());
        try {
            runs.add(executable(m));
            verifyPins(m);
        } catch (IllegalArgumentException | IOException e) {
            throw new IllegalArgumentException("cannot be run: " + e.getMessage());
        } catch (io.atrium.api.PluginRejectedException e) {
            throw new IllegalArgumentException("is refused: " + e.reason());
        }
        runs.addAll(others);
        policy.checkLinks(m.folder(), runs);
    }

    /** Hashes every pinned file now, before this launch: a file swapped since the deploy is refused. */
    public static void verifyPins(Launchable m) throws IOException {
        for (Map.Entry<Path, String> pin : m.pins().entrySet()) {
            VerifiedCopies.check(m, pin.getKey(), io.atrium.transport.support.Sha256.of(pin.getKey()), pin.getValue());
        }
    }

    /** The prefix that applies the caps and then runs the command in the same process. */
    private static List<String> limits(Launchable m) {
        long mem = m.memoryMb();
        long cpu = m.cpuSeconds();
        if (mem == 0 && cpu == 0) {
            return List.of();
        }
        if (Files.isExecutable(PRLIMIT)) {
            List<String> p = new ArrayList<>(List.of(PRLIMIT.toString()));
            if (mem > 0) {
                p.add("--data=" + mem * 1024 * 1024);
            }
            if (cpu > 0) {
                p.add("--cpu=" + cpu + ":" + (cpu + 1)); // SIGXCPU at the cap (reported as such), SIGKILL a second later
            }
            p.add("--");
            return p;
        }
        // POSIX sh: ulimit -d takes KiB; "$@" is the command, run by exec in the same process
        String script = (mem > 0 ? "ulimit -d " + mem * 1024 + " && " : "") + (cpu > 0 ? "ulimit -H -t " + (cpu + 1) + " && ulimit -S -t " + cpu + " && " : "") + "exec \"$@\"";
        return List.of("/bin/sh", "-c", script, "atrium-plugin");
    }
}
