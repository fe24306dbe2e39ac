package io.atrium.core.deploy;

import java.util.Locale;

/** Where a file of the plugin folder stands. */
public enum DeployState {
    /** Its bundle is installed and active (or its configuration applied). */
    ACTIVE,
    /** Its bundle is being started: its activator or its components' activation has not returned yet. */
    STARTING,
    /** Its bundle is installed but does not resolve; retried whenever the set of bundles changes. */
    UNRESOLVED,
    /** Its bundle is installed and resolved but failed to start. */
    FAILED,
    /** Its bundle is installed and resolved, and was stopped (by an operator, or while a reload runs). */
    STOPPED,
    /** The file is still being written (or is unreadable for now), or its transport has not come: nothing is done until then. */
    WAITING,
    /**
     * The file cannot be a plugin, or the capability policy refuses the plugin a transport deployed from it; the reason
     * says why. It stays where it is, and is looked at again when it changes (and its plugin when the policy does).
     */
    REFUSED,
    /** Not a plugin or configuration file; left alone. */
    IGNORED;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
