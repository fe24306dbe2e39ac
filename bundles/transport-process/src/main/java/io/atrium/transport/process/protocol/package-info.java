/** The wire protocol's pieces: frames, messages and the handshake (docs/protocol.md). */
package io.atrium.transport.process.protocol;
