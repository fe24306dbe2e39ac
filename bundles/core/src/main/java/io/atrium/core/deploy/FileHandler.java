package io.atrium.core.deploy;

import java.nio.file.Path;
import java.util.List;

/**
 * Deploys the plugin folder's files of one kind, claimed by the endings of their names (the longest
 * ending claimed wins). The {@link FolderScanner} owns watching, stamps and partial copies; a handler is
 * given a file's complete bytes and is told when it is gone. Called on the scanner's thread only.
 */
interface FileHandler {

    /** @return the file name endings it claims, e.g. {@code .jar} */
    List<String> suffixes();

    /** @return what its files are called in {@code plugin:deploys} */
    String kind();

    /**
     * Deploys a new or changed file: sets the entry's state, target and detail.
     *
     * @throws Incomplete when the bytes may be a copy still in progress
     * @throws IllegalArgumentException with a one-line reason: the file is refused
     */
    void deploy(FolderEntry e, Path file, byte[] bytes, Batch batch) throws Incomplete;

    /** The file is gone (or another handler claims it now): what it deployed goes. */
    void removed(FolderEntry e, Batch batch);

    /**
     * @return true when the name is the core's own whatever else claims a longer ending of it (a bundle's
     *         jar, the trust policy's file): no transport, declared or come, takes it over
     */
    default boolean owns(String name) {
        return false;
    }

    /** @return why its files wait, unread, for now (their transport has not come), or null */
    default String waits() {
        return null;
    }

    /** @return true when its files are text, read only up to the folder's size limit */
    default boolean text() {
        return true;
    }

    /** @return handlers of a lower order deploy first in a batch (configurations before what they configure) */
    default int order() {
        return 1;
    }

    /** @return a one-line refusal for a folder that bears its ending, or null to leave folders alone */
    default String folderRefusal() {
        return null;
    }

    /** @return why the file cannot be looked at now (its bundle is still starting), or null */
    default String busy(FolderEntry e) {
        return null;
    }

    /** @return what still runs of a refused file, as "; still running …", or "" */
    default String stillRunning(FolderEntry e) {
        return "";
    }

    /** @return what the state file remembers of a deployed file, so it is not read again at start-up; or null */
    default String memo(FolderEntry e) {
        return null;
    }

    /** @return true when a file unchanged since the last run was taken back from its memo, unread */
    default boolean resume(FolderEntry e, String memo, Batch batch) {
        return false;
    }

    /** Start-up's batch has looked at every file: what was deployed from files now gone goes. */
    default void startedUp(java.util.Collection<FolderEntry> present, Batch batch) {
    }

    /** @return the file's row in {@code plugin:deploys} */
    default Deployment row(FolderEntry e) {
        return new Deployment(e.name, e.kind, e.target, e.state, e.bundleId, e.detail);
    }

    /** The bytes may be a copy in progress: waited for while the file is young, refused once it settled. */
    final class Incomplete extends Exception {
        final String refusal;

        /**
         * @param waiting what the row says while waiting
         * @param refusal the refusal once the file has settled
         */
        Incomplete(String waiting, String refusal) {
            super(waiting, null, false, false);
            this.refusal = refusal;
        }
    }
}
