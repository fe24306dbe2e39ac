/**
 * The process transport: plugins as executables in any language, deployed from
 * {@code NAME.plugin.json} manifests in the plugin folder, each seen by the host as an ordinary
 * service of its contract. The wire protocol is documented in docs/protocol.md.
 */
package io.atrium.transport.process;
