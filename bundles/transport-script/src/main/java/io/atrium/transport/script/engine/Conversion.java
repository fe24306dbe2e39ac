package io.atrium.transport.script.engine;

/**
 * What converting one result to JSON may spend, for both engines: at most {@value #MAX_VALUES} values and a
 * string budget of characters, the call's budget ticked every 1024 values (a getter or {@code toJSON} is the
 * script's code, and a shared subtree counts each time it is met). Used by one thread.
 */
public final class Conversion {
    /** The most values a result may hold: more is no answer a contract method reads. */
    public static final int MAX_VALUES = 1_000_000;

    private final Budget budget;
    private final long maxCharacters;
    private final String file;
    private final String from;
    private int values;
    private long characters;

    /**
     * @param budget        the call's budget, ticked as it goes (null: none)
     * @param maxCharacters the characters its strings and keys may hold in all
     * @param file          the script's file, for messages
     * @param from          what returned the value, for messages: e.g. {@code greet}
     */
    public Conversion(Budget budget, long maxCharacters, String file, String from) {
        this.budget = budget;
        this.maxCharacters = maxCharacters;
        this.file = file;
        this.from = from;
    }

    /** One more value. @throws ScriptError over the count */
    public void value() {
        if (++values > MAX_VALUES) {
            throw new ScriptError(file + ": " + from + " returned more than " + MAX_VALUES + " values");
        }
        if ((values & 1023) == 0 && budget != null) {
            budget.tick();
        }
    }

    /** Characters of a string or a key. @throws ScriptError over the budget */
    public void characters(long n) {
        characters += n;
        if (characters > maxCharacters) {
            throw new ScriptError(file + ": " + from + " returned more than " + maxCharacters + " characters of strings, over limits.maxStringLength");
        }
    }

    /** @throws ScriptError a table or array of more entries than a result may hold */
    public void entries(long n) {
        if (n > MAX_VALUES) {
            throw new ScriptError(file + ": " + from + " returned " + n + " entries in one array or table, more than " + MAX_VALUES);
        }
    }

    /** Every 1024 entries of a table walked: the budget ticks. */
    public void walked(int n) {
        if ((n & 1023) == 0 && budget != null) {
            budget.tick();
        }
    }
}
