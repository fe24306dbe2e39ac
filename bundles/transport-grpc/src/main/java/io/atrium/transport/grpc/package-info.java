/**
 * The gRPC transport: hashicorp/go-plugin's gRPC plugins, unmodified, deployed from {@code NAME.grpc.json}
 * manifests in the plugin folder, each seen by the host as an ordinary service of its Java contract.
 * docs/grpc.md says how to run one.
 */
package io.atrium.transport.grpc;
