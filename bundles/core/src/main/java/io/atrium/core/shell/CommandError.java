package io.atrium.core.shell;

/**
 * A command's one-line refusal (unknown plugin, bad argument). It carries no stack trace,
 * because the user's mistake is not a bug; the shell prints only the message.
 */
public final class CommandError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandError(String message) {
        super(message, null, false, false);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
