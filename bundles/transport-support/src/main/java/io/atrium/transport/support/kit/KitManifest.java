package io.atrium.transport.support.kit;

import io.atrium.api.Capability;
import java.nio.file.Path;
import java.util.List;

/** What the kit reads of every transport's manifest; a transport's manifest record implements it. */
public interface KitManifest {
    /** @return the manifest's path */
    Path file();

    /** @return the plugin's name */
    String name();

    /** @return the plugin's version */
    String version();

    /** @return the contract interface's fully qualified name */
    String contract();

    /** @return the range of the contract package's versions the plugin was built for */
    String contractVersion();

    /** @return what the manifest declares the plugin supports */
    List<Capability> capabilities();

    /** @return how long a call may take before it fails as timed out */
    long callTimeoutMs();

    /** @return whether the manifest pins what it runs by digest (the trust policy may require it) */
    boolean pinned();

    /**
     * @return the functions the manifest declares, for a plugin with no contract of its own (an
     *         {@link io.atrium.api.Invocable}); empty otherwise, or when it leaves them to what the transport finds
     */
    List<String> functions();

    /** @return the files besides the manifest whose change deploys it again */
    List<Path> ownFiles();
}
