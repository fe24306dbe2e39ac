package io.atrium.spi;

import java.nio.file.Path;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Deploys one kind of file of the plugin folder that is not a bundle, e.g. {@code NAME.plugin.json}.
 * The folder deployer owns watching, partial-copy safety and identity; a handler is told the file's
 * complete content when it appears or changes, and when it goes.
 *
 * <p>Calls come from the deployer's single thread and must return quickly: a handler validates the
 * file and starts its plugin in the background. Register the handler as an OSGi service with the
 * {@link #SUFFIX} property.
 */
@ConsumerType
public interface ArtifactHandler {

    /**
     * Service property (String or String[]): the file name endings this handler deploys, e.g.
     * {@code .plugin.json}. The deployer routes files by it and gets the handler only when a file of its
     * kind appears, so a transport with no files in the folder is never even activated (register it as
     * a delayed DS component).
     */
    String SUFFIX = "atrium.artifact.suffix";

    /**
     * Capability namespace (1.4) a transport's bundle declares its files with, e.g.
     * {@code Provide-Capability: io.atrium.artifact;suffix=".plugin.json";kind=process}: {@code suffix}
     * as in {@link #SUFFIX}, {@code kind} the transport's id. From it the folder deployer knows, before the
     * handler's service is up, that the folder's files of that suffix wait for it rather than go unclaimed.
     */
    String NAMESPACE = "io.atrium.artifact";

    /** @return what the files are called in {@code plugin:deploys}, e.g. {@code process} */
    String kind();

    /**
     * Deploys a new file, or a changed one (then the plugin it deployed is replaced live).
     *
     * @param file    the file's path
     * @param content the file's complete content, read once by the deployer
     * @return what was deployed and which other files it depends on
     * @throws IllegalArgumentException with a one-line reason, naming the field at fault, when the file
     *                                  cannot be deployed; a plugin it deployed before keeps running
     */
    Deployed deploy(Path file, byte[] content);

    /**
     * The file is gone: stop and remove what it deployed.
     *
     * @param file the file's path
     */
    void undeploy(Path file);

    /**
     * What a deployed file became.
     *
     * @param target  what it deploys, for people: e.g. {@code english-py 1.0.0}
     * @param plugin  the name of the plugin it deploys, whose state {@code plugin:deploys} then shows
     * @param watched other files it depends on (an executable, a module); a change to one of them
     *                deploys the file again, as if it had changed itself
     */
    record Deployed(String target, String plugin, List<Path> watched) {
        public Deployed {
            watched = List.copyOf(watched);
        }
    }

    /**
     * A refusal of a file whose other files are known (its manifest read, its module or library not good): a
     * change to one of them deploys the file again, as for a deployed one, so that a fixed library is taken
     * without touching its manifest. Since 1.7.
     */
    final class Refused extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient List<Path> watched;

        /**
         * @param reason  the one-line reason
         * @param watched the other files it depends on
         * @param cause   what refused it, or null
         */
        public Refused(String reason, List<Path> watched, Throwable cause) {
            super(reason, cause);
            this.watched = List.copyOf(watched);
        }

        /** @return the other files it depends on */
        public List<Path> watched() {
            return watched;
        }
    }
}
