package io.atrium.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told about every call of one plugin method (see {@link CallObserver}). Both methods run on the
 * caller's thread, around the call, so an observer may keep per-call state in a thread-local (a
 * tracer makes its span current in {@code begin} and closes it in {@code end}); calls nest when a
 * plugin calls another plugin. They run on every call: keep them cheap, and never throw.
 */
@ConsumerType
public interface MethodObserver {

    /** Before the call. */
    void begin();

    /**
     * After the call, on the thread that called {@link #begin()}.
     *
     * @param nanos   how long the call took, waiting for an implementation included
     * @param outcome how it ended
     * @param failure what the plugin threw, or null on success
     */
    void end(long nanos, CallOutcome outcome, Throwable failure);
}
