package io.atrium.runtime.internal;

import io.atrium.runtime.CommandResult;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
                out.println("Error: " + describe(failure));
            } else if (result != null) {
                CharSequence text = session.format(result, Converter.INSPECT);
                out.print(text);
                if (text.length() > 0 && text.charAt(text.length() - 1) != '\n') {
                    out.println();
                }
            }
        } catch (Exception e) {
            status = 1;
            out.println("Error: " + describe(e));
        } finally {
            context.ungetService(ref);
        }
        out.flush();
        return new CommandResult(status, buffer.toString(StandardCharsets.UTF_8));
    }

    /** One line: the message alone for Atrium's own refusals, the exception's kind otherwise. */
    static String describe(Throwable t) {
        if (t.getClass().getName().equals("org.apache.felix.gogo.runtime.CommandNotFoundException")) {
            return "unknown command '" + t.getMessage().replaceFirst("^Command not found: ", "") + "' (try 'help')";
        }
        String msg = t.getMessage();
        if (t.getClass().getSimpleName().equals("CommandError") || t instanceof IllegalArgumentException) {
            return msg;
        }
        String first = msg == null ? "" : ": " + msg.lines().findFirst().orElse("");
        return t.getClass().getSimpleName() + first;
    }
}
