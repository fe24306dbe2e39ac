package io.atrium.runtime.launcher;

import java.util.logging.Logger;

/**
 * Clean shutdown on SIGTERM, SIGINT and SIGHUP (the terminal went away): stop the framework, wait, exit 0. A plain shutdown hook
 * would also stop it, but the JVM would then exit with 143, which service managers report as a failure.
 */
final class Signals {
    private Signals() {
    }

    static void onTermination(Runnable stop) {
        for (String name : new String[] {"TERM", "INT", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    Thread t = new Thread(stop, "atrium-shutdown");
                    t.start();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                Logger.getLogger("io.atrium.runtime").fine("cannot handle SIG" + name + ": " + e.getMessage());
            }
        }
    }
}
