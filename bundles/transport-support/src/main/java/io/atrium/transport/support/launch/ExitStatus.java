package io.atrium.transport.support.launch;

import java.util.Map;

/** A process's exit status in words: {@code exited with status 3}, {@code was killed by signal 9 (KILL)}. */
public final class ExitStatus {
    private static final Map<Integer, String> SIGNALS = Map.ofEntries(
            Map.entry(1, "HUP"), Map.entry(2, "INT"), Map.entry(3, "QUIT"), Map.entry(4, "ILL"), Map.entry(6, "ABRT"),
            Map.entry(7, "BUS"), Map.entry(8, "FPE"), Map.entry(9, "KILL"), Map.entry(11, "SEGV"), Map.entry(13, "PIPE"),
            Map.entry(14, "ALRM"), Map.entry(15, "TERM"), Map.entry(24, "XCPU: CPU time limit reached"), Map.entry(25, "XFSZ"));

    private ExitStatus() {
    }

    /** The JDK reports death by signal N as 128 + N. */
    public static String describe(int code) {
        if (code > 128 && code < 160) {
            int sig = code - 128;
            return "was killed by signal " + sig + (SIGNALS.containsKey(sig) ? " (" + SIGNALS.get(sig) + ")" : "");
        }
        return "exited with status " + code;
    }

    /**
     * @return whether a line a plugin wrote to stderr says it could not get memory, in the words of the runtimes
     * seen here (Python's {@code MemoryError}, Go's {@code fatal error: out of memory…}, C's {@code Cannot allocate memory})
     */
    public static boolean outOfMemory(String line) {
        return line != null && OUT_OF_MEMORY.matcher(line).matches();
    }

    /** Where a plugin that ran out of memory under a cap says what its death was. */
    public static String underCap(long memoryMb) {
        return ": it ran out of memory under its cap of " + memoryMb + " MiB";
    }

    private static final java.util.regex.Pattern OUT_OF_MEMORY = java.util.regex.Pattern.compile(
            "(?i).*(memoryerror|out of memory|cannot allocate|memory allocation|alloc|can't start new thread).*");
}
