/** A Java contract mapped onto a protobuf service read from a descriptor set. */
package io.atrium.transport.grpc.mapping;
