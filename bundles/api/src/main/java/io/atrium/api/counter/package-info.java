/**
 * The counter of hashicorp/go-plugin's bidirectional example (its {@code proto.Counter} service, which
 * calls back the host's {@code proto.AddHelper}): the sample contract of gRPC plugins that call back into
 * the host through go-plugin's broker, which the example's unmodified plugin implements.
 */
@Export
@Version("1.0.0")
package io.atrium.api.counter;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
