package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import java.util.List;

/**
 * One running instance of a plugin, as a transport starts it ({@link Supervisor#open}): a process with its
 * handshake done, a module loaded with its pool. The kit counts the calls in flight on it, and closes it
 * once it is replaced and they are done, or at once when the plugin stops or is refused.
 */
public interface KitInstance {

    /** @return the capabilities it declares (a process's handshake, a module's manifest): what the capability policy judges */
    List<Capability> capabilities();

    /** Stops it; called once, on the kit's work pool (it may take a while: a process is asked to exit first). */
    void close();

    /**
     * @return why it died, once its transport has told the kit ({@link Supervisor#crashed}); null while it
     *         lives. One that dies after it opened, told before the kit made it the plugin's, is a launch that
     *         did not open (restarted), not the one calls go to. Null by default: an instance that does not die on its own.
     */
    default String died() {
        return null;
    }

    /** @return how the log names it after the plugin, e.g. {@code  (pid 4711)}; empty by default */
    default String label() {
        return "";
    }
}
