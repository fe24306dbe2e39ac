/**
 * The key-value store of hashicorp/go-plugin's gRPC example (its {@code proto.KV} service): the sample
 * contract of gRPC plugins, which the example's unmodified plugins implement.
 */
@Export
@Version("1.0.0")
package io.atrium.api.kv;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
