package io.atrium.transport.support.kit;

import io.atrium.transport.support.ManifestFields;

/**
 * How a plugin whose instance dies is restarted: with a backoff doubling from {@code initialBackoffMs} up to
 * {@code maxBackoffMs}, until more than {@code maxRestarts} crashes fall within {@code windowSeconds},
 * when it is marked failed. A manifest's {@code restart} object sets it ({@link #read}).
 *
 * @param maxRestarts      crashes tolerated within the window before the plugin is marked failed
 * @param windowSeconds    the window
 * @param initialBackoffMs the wait before the first restart; doubled after each crash
 * @param maxBackoffMs     the longest wait
 */
public record Restart(int maxRestarts, long windowSeconds, long initialBackoffMs, long maxBackoffMs) {
    /** What a manifest that sets nothing gets. */
    public static final Restart DEFAULTS = new Restart(5, 60, 100, 30_000);

    /** The field a manifest sets it in. */
    public static final String FIELD = "restart";

    /**
     * @param manifest the manifest's fields; its {@value #FIELD} object is read, the defaults filling what it leaves out
     * @throws IllegalArgumentException naming the field at fault
     */
    public static Restart read(ManifestFields manifest) {
        ManifestFields r = manifest.object(FIELD);
        Restart d = DEFAULTS;
        // more than an int counts is as good as no limit: not wrapped to a few, none, or a negative count
        Restart restart = new Restart((int) Math.min(Integer.MAX_VALUE, r.natural("maxRestarts", d.maxRestarts())),
                r.positive("windowSeconds", d.windowSeconds()), r.positive("initialBackoffMs", d.initialBackoffMs()), r.positive("maxBackoffMs", d.maxBackoffMs()));
        r.onlyKnown("maxRestarts", "windowSeconds", "initialBackoffMs", "maxBackoffMs");
        return restart;
    }

    /** @return how long to wait before restarting after the {@code crashes}-th crash in the window (from 1) */
    long backoffMs(int crashes) {
        int doublings = Math.min(20, Math.max(0, crashes - 1));
        // compared before shifting: a large initial backoff doubled past a long would wrap to no wait, or a negative one
        return initialBackoffMs > maxBackoffMs >> doublings ? maxBackoffMs : initialBackoffMs << doublings;
    }
}
