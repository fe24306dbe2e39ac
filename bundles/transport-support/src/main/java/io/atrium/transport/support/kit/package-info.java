/**
 * The transport kit: what every transport that deploys plugins from a manifest shares, written once
 * (the manifest's common fields, the deploy/undeploy/reload/stop/start of {@link io.atrium.spi.ArtifactHandler}
 * and {@link io.atrium.spi.PluginProvider}, trust and capability checks, the proxy registered under the
 * contract, a call's result read back). A transport supplies its own fields, how an instance starts and
 * stops, and how a call is made. Embedded privately by each transport, as the rest of this library.
 */
package io.atrium.transport.support.kit;
