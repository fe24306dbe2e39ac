package io.atrium.runtime.internal;

import io.atrium.runtime.CommandResult;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** Runs one Gogo command line in a fresh session and captures what it prints and returns. */
public final class CommandRunner {
    private final BundleContext context;

    public CommandRunner(BundleContext context) {
        this.context = context;
    }

    public CommandResult execute(String commandLine) {
        ServiceReference<CommandProcessor> ref = context.getServiceReference(CommandProcessor.class);
        CommandProcessor processor = ref == null ? null : context.getService(ref);
        if (processor == null) {
            return new CommandResult(1, "Error: the Gogo command processor is not running\n");
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        int status = 0;
        try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out)) {
            Object result = session.execute(commandLine);
            if (result instanceof Throwable failure) {
                status = 1;
                out.println("Error: " + describe(failure, commandLine));
            } else if (result != null) {
                CharSequence text = session.format(result, Converter.INSPECT);
                out.print(text);
                if (text.length() > 0 && text.charAt(text.length() - 1) != '\n') {
                    out.println();
                }
            }
        } catch (Exception e) {
            status = 1;
            out.println("Error: " + describe(e, commandLine));
        } finally {
            context.ungetService(ref);
        }
        out.flush();
        return new CommandResult(status, buffer.toString(StandardCharsets.UTF_8));
    }

    /** Gogo's refusal of arguments no method of the command takes: its name, the arguments' types, the methods' parameter types. */
    private static final Pattern NOT_COERCED = Pattern.compile("Cannot coerce ([^(]+)\\((.*)\\) to any of \\[(.*)]");

    /** One line: the message alone for Atrium's own refusals, the exception's kind otherwise. */
    static String describe(Throwable t, String commandLine) {
        if (t.getClass().getName().equals("org.apache.felix.gogo.runtime.CommandNotFoundException")) {
            return "unknown command '" + t.getMessage().replaceFirst("^Command not found: ", "") + "' (try 'help')";
        }
        String msg = t.getMessage();
        Matcher m = msg == null || !(t instanceof IllegalArgumentException) ? null : NOT_COERCED.matcher(msg);
        if (m != null && m.matches()) {
            return wrongArguments(m.group(1), m.group(2), m.group(3), commandLine);
        }
        if (t.getClass().getSimpleName().equals("CommandError") || t instanceof IllegalArgumentException) {
            return msg;
        }
        String first = msg == null ? "" : ": " + msg.lines().findFirst().orElse("");
        return t.getClass().getSimpleName() + first;
    }

    /**
     * Gogo's "Cannot coerce stats(Token, Token) to any of [(String), ()]" as plugin:call says it of a method:
     * "plugin:stats takes 0 or 1 argument(s), 2 given".
     */
    private static String wrongArguments(String function, String given, String signatures, String commandLine) {
        String first = commandLine.strip().split("\\s+", 2)[0];
        String command = first.equals(function) || first.endsWith(":" + function) ? first : function;
        int count = given.isBlank() ? 0 : given.split(",").length;
        java.util.TreeSet<Integer> exact = new java.util.TreeSet<>();
        java.util.TreeSet<Integer> atLeast = new java.util.TreeSet<>();
        Matcher sig = Pattern.compile("\\(([^)]*)\\)").matcher(signatures);
        while (sig.find()) {
            String[] types = sig.group(1).isBlank() ? new String[0] : sig.group(1).split(",\\s*");
            if (types.length > 0 && types[types.length - 1].endsWith("[]")) {
                atLeast.add(types.length - 1); // a command's last array parameter takes the rest
            } else {
                exact.add(types.length);
            }
        }
        if (exact.contains(count) || !atLeast.isEmpty() && count >= atLeast.first()) {
            return command + " cannot take these arguments: it takes " + signatures.substring(1, signatures.length() - 1).replace("[]", "...");
        }
        if (atLeast.isEmpty() && exact.equals(java.util.Set.of(0))) {
            return command + " takes no arguments, " + count + " given";
        }
        java.util.List<String> takes = new java.util.ArrayList<>(exact.stream().map(String::valueOf).toList());
        atLeast.forEach(n -> takes.add(n + " or more"));
        return command + " takes " + String.join(" or ", takes) + " argument(s), " + count + " given";
    }
}
