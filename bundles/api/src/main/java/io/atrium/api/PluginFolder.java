package io.atrium.api;

import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The watched plugin folder as the server sees it: every file, what it deploys and how that went,
 * refused and failed files included (what {@code plugin:deploys} prints). A service of Atrium's core.
 *
 * @since 1.2
 */
@ProviderType
public interface PluginFolder {

    /**
     * One file of the folder.
     *
     * @param file     its name in the folder (or the path or URL {@code plugin:install} was given)
     * @param kind     {@code bundle}, {@code config}, a transport's kind ({@code process}, {@code wasm}…), or {@code other}
     * @param target   what it deploys (a bundle's name and version, a configuration's PID, a plugin), or "" when nothing
     * @param state    {@code active}, {@code starting}, {@code unresolved}, {@code failed}, {@code stopped}, {@code waiting},
     *                 {@code refused} or {@code ignored}
     * @param bundleId the bundle it installed, or -1
     * @param detail   why it is not active, in one line, or ""
     */
    record File(String file, String kind, String target, String state, long bundleId, String detail) {
        public File {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** @return every file, sorted by name; answered at once, whatever plugins are doing */
    List<File> files();
}
