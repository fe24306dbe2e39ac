package io.atrium.runtime.launcher;

import io.atrium.runtime.Atrium;
import io.atrium.runtime.AtriumException;
import io.atrium.runtime.CommandResult;
import io.atrium.runtime.control.ControlClient;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/atrium}: runs the server (with a console on a terminal, quietly otherwise), runs
 * commands in a fresh instance ({@code --command}), or sends them to the running server ({@code client}).
 */
public final class Main {
    static final String USAGE = """
            usage: atrium [--data DIR] [--plugins DIR]                 run the server (a console on a terminal)
                   atrium [--data DIR] [--plugins DIR] --command CMD   start, run CMD (repeatable), stop
                   atrium [--data DIR] client CMD...                    run CMD on the server running on DIR
              --data DIR     the data folder (default: the distribution's data/)
              --plugins DIR  the plugin folder (default: the distribution's plugins/)
              --http [HOST:]PORT|off
                             where the HTTP server (/metrics, /api, the web console) listens
                             (default: 127.0.0.1:8181 for the server, off for --command)
              --safe         start no plugin bundle of the folder (plugin:deploys lists them,
                             plugin:start NAME starts one): to get into a server a plugin breaks
            """;

    /** Jetty's start-up chatter (version, session id, connectors) is not news; its warnings are. Held: loggers are weak. */
    private static final java.util.logging.Logger JETTY = java.util.logging.Logger.getLogger("org.eclipse.jetty");

    private Main() {
    }

    public static void main(String[] args) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %3$s: %5$s%6$s%n");
        JETTY.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args, System.out, System.err));
    }

    /** @return the process exit status: 0 success, 1 a command failed, 2 bad usage or configuration */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("atrium: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (options.help) {
            out.print(USAGE);
            return 0;
        }
        try {
            if (options.client != null) {
                CommandResult result = ControlClient.execute(options.dataDir(), options.client);
                out.print(result.output());
                return result.status();
            }
            if (!options.commands.isEmpty()) {
                return runCommands(options, out);
            }
            return serve(options, out);
        } catch (AtriumException e) {
            err.println("atrium: " + e.getMessage());
            return 2;
        }
    }

    private static int runCommands(Options options, PrintStream out) {
        try (Atrium atrium = options.builder().start()) {
            atrium.awaitStarted(java.time.Duration.ofSeconds(30)); // process plugins finish their handshakes first
            int status = 0;
            for (String command : options.commands) {
                CommandResult result = atrium.execute(command);
                out.print(result.output());
                status = Math.max(status, result.status());
            }
            return status;
        }
    }

    private static int serve(Options options, PrintStream out) {
        Atrium atrium = options.builder().controlChannel(true).awaitPlugins(false).start(); // the ready line waits for no plugin
        Signals.onTermination(atrium::stop); // main then returns from awaitStop and exits 0
        boolean terminal = System.console() != null;
        if (terminal) {
            System.setProperty("gosh.home", Options.home().toString()); // etc/gosh_profile
            atrium.startConsole(); // the framework stops when the console ends (Ctrl-D, 'exit')
        } else {
            out.println("Atrium is running; data in " + atrium.dataDir() + ". Stop it with SIGTERM; "
                    + "manage it with 'atrium client COMMAND'.");
        }
        try {
            atrium.awaitHttp(java.time.Duration.ofSeconds(60)); // a server told to serve HTTP that cannot is no server
        } catch (AtriumException e) {
            atrium.stop();
            throw e;
        }
        try {
            atrium.awaitStop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        atrium.stop();
        return 0;
    }

    /** The parsed command line. */
    static final class Options {
        Path data;
        Path plugins;
        final List<String> commands = new ArrayList<>();
        String client;
        boolean help;
        /** null: the default for the mode; otherwise {host, port} with port -1 for off */
        Object[] http;
        boolean safe;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--data" -> o.data = Path.of(value(args, ++i, a));
                    case "--plugins" -> o.plugins = Path.of(value(args, ++i, a));
                    case "--command", "-c" -> o.commands.add(value(args, ++i, a));
                    case "--help", "-h" -> o.help = true;
                    case "--http" -> o.http = http(value(args, ++i, a));
                    case "--safe" -> o.safe = true;
                    case "client" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("client needs a command, e.g. atrium client plugin:list");
                        }
                        o.client = String.join(" ", List.of(args).subList(i + 1, args.length));
                        i = args.length;
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            return o;
        }

        private static Object[] http(String value) {
            if (value.equals("off")) {
                return new Object[] {"127.0.0.1", -1};
            }
            int colon = value.lastIndexOf(':');
            String host = colon < 0 ? "127.0.0.1" : value.substring(0, colon);
            try {
                int port = Integer.parseInt(value.substring(colon + 1));
                if (port < 0 || port > 65535 || host.isEmpty()) {
                    throw new NumberFormatException();
                }
                return new Object[] {host, port};
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--http needs [HOST:]PORT or off, not '" + value + "'");
            }
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        Path dataDir() {
            return data != null ? data.toAbsolutePath() : home().resolve("data");
        }

        Atrium.Builder builder() {
            // atrium.home: process plugins get it as ATRIUM_HOME, to find the helpers in sdk/
            Atrium.Builder b = Atrium.builder().dataDir(dataDir(), data == null).frameworkProperty("atrium.home", home().toString());
            Path pluginDir = plugins != null ? plugins : home().resolve("plugins");
            if (plugins != null || Files.isDirectory(pluginDir)) {
                b.pluginDir(pluginDir);
            }
            if (safe) {
                b.safeMode(true);
            }
            if (http != null) {
                b.http((String) http[0], (Integer) http[1]);
            } else if (!commands.isEmpty()) {
                b.http("127.0.0.1", -1); // a fresh instance for a few commands serves nobody, and must not take the server's port
            }
            return b;
        }

        /** The distribution's folder: the parent of lib/ that holds the runtime jar. */
        static Path home() {
            try {
                Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (Files.isRegularFile(jar) && jar.getParent() != null && jar.getParent().getParent() != null) {
                    return jar.getParent().getParent();
                }
            } catch (URISyntaxException | SecurityException e) {
                // fall through to the working folder
            }
            return Path.of("").toAbsolutePath();
        }
    }
}
