/** go-plugin's side of the wire: its environment, its handshake line, its services. */
package io.atrium.transport.grpc.goplugin;
