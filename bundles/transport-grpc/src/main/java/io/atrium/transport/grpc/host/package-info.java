/** The host side of a gRPC plugin: its process and channel, its calls, its supervision. */
package io.atrium.transport.grpc.host;
