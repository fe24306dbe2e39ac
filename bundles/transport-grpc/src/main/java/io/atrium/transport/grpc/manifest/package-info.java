/** The {@code NAME.grpc.json} manifest. */
package io.atrium.transport.grpc.manifest;
