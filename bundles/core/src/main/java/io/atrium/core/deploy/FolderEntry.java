package io.atrium.core.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One file of the plugin folder and where it stands. Touched only on the scanner's thread. */
final class FolderEntry {
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");

    final String name;
    String kind = "other";
    String stamp;
    String target = "";
    DeployState state = DeployState.WAITING;
    String detail = "";
    /** The handler that took this file last, or null. */
    FileHandler handler;
    /** Other files the handler said this one depends on, and their stamps when it was deployed. */
    List<Path> watched = List.of();
    String watchedStamp = "";

    // what the bundle handler knows of a jar
    String bsn;
    String version;
    long bundleId = -1;
    /** What its start found wrong although the bundle runs (unreadable component descriptions), else "". */
    String trouble = "";
    /** Unchanged since the last run: its start asks SCR nothing (a full folder's restart would ask 1000 times). */
    boolean unchanged;

    /** The name of the plugin a transport's handler deployed from it. */
    String plugin;

    FolderEntry(String name) {
        this.name = name;
    }

    /** Refused, one line naming the file (logged when the reason is new); {@code running} says what still runs of it. */
    void refuse(String reason, String running) {
        boolean changed = state != DeployState.REFUSED || !reason.equals(detail);
        state = DeployState.REFUSED;
        detail = reason + running;
        if (changed) {
            log(Level.WARNING, "plugin file " + name + " " + detail);
        }
    }

    void active(String target) {
        this.target = target;
        state = DeployState.ACTIVE;
        detail = "";
    }

    /** Every line names a file, whose name may hold anything a file system allows: escaped, so it cannot forge lines. */
    static void log(Level level, String line) {
        LOG.log(level, io.atrium.transport.support.Escape.oneLine(line));
    }
}
