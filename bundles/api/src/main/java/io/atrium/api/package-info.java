/**
 * What the Atrium host and its plugins share, whatever transport runs a plugin: the
 * {@link io.atrium.api.PluginDescriptor}, the read-only {@link io.atrium.api.PluginRegistry},
 * the typed {@link io.atrium.api.PluginException}s and the {@link io.atrium.api.PluginContract}
 * marker that makes an interface a plugin contract; since 1.1, the {@link io.atrium.api.PluginStatistics}
 * of the calls made to plugins, their recent {@link io.atrium.api.PluginTraces}, and the
 * {@link io.atrium.api.PluginControl} that reloads, stops and starts them; since 1.2, the
 * {@link io.atrium.api.PluginFolder}'s files with what each deploys and why it is not running;
 * since 1.3, a plugin's transport is the id its transport declares ({@link io.atrium.api.PluginDescriptor#transportId()}),
 * so a new transport needs no change to this API, and a plugin with no Java contract of its own is an
 * {@link io.atrium.api.Invocable}: functions called by name; since 1.4, a plugin service says whether its
 * transport carries the trace context ({@link io.atrium.api.PluginProperties#TRACE_CONTEXT}).
 */
@Export
@Version("1.4.0")
package io.atrium.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
