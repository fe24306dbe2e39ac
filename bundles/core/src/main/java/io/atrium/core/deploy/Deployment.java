package io.atrium.core.deploy;

/**
 * One file of the plugin folder (or one plugin installed from elsewhere) and what became of it.
 *
 * @param file     the file name in the plugin folder, or the source path or URL for {@code plugin:install}
 * @param kind     {@code bundle}, {@code config} or {@code other}
 * @param target   what it deploys: a bundle symbolic name and version, or a configuration PID
 * @param state    where it stands
 * @param bundleId the installed bundle's id, or -1
 * @param detail   the last error or reason, or an empty string
 */
public record Deployment(String file, String kind, String target, DeployState state, long bundleId, String detail) {
}
