/**
 * How Atrium's transports plug into its core: an {@link io.atrium.spi.ArtifactHandler} turns a
 * file of the plugin folder into running plugins (a process plugin's manifest, a WASM module), and
 * a {@link io.atrium.spi.PluginProvider} tells the registry and the shell about plugins that live
 * outside bundles, in every state. Implemented by transport bundles, used by the core; plugin
 * authors and embedders never need it. A {@link io.atrium.spi.CallObserver} sees every plugin call
 * (1.1: metrics and tracing), {@link io.atrium.spi.CallTrace} hands the call's trace context to
 * the transports, and {@link io.atrium.spi.PluginLifecycle} counts what happens to plugins (install,
 * update, crash, restart, reload…; 1.2: with the last crash or failure and its reason), and
 * {@link io.atrium.spi.Secrets} hands the core's components and the transports the secret
 * configuration values that Config Admin does not hold (1.3). Since 1.4, a {@link io.atrium.spi.CallSite}
 * names its plugin's transport by id, a {@link io.atrium.spi.HostFunction} is a function WASM plugins
 * import in Extism's way, provided by any bundle, and {@link io.atrium.spi.TransportTrust} is the trust
 * policy the core read once, for every transport to ask; {@link io.atrium.spi.ArtifactHandler#NAMESPACE}
 * names the capability a transport's bundle declares its files with. Since 1.5, {@link io.atrium.spi.TransportTrust}
 * also gives the capability policy's verdict, so that the core alone reads that policy too. Since 1.6, a
 * {@link io.atrium.spi.CallSite} says whether its transport carries the trace context. Since 1.7, a refusal
 * ({@link io.atrium.spi.ArtifactHandler.Refused}) names the files whose change deploys the refused file again.
 */
@Export
@Version("1.7.0")
package io.atrium.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
