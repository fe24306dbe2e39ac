package io.atrium.transport.grpc.host;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which failed calls are the connection's (the plugin may have died) and which are the plugin's own answer. */
class ConnectionBrokeTest {

    @Test
    void theStatusesGrpcJavaMakesOfABrokenConnectionAreTheConnections() {
        // as grpc-netty's Utils.statusFromThrowable makes them: a write onto a connection already closed by the
        // plugin's death is UNKNOWN, not UNAVAILABLE (a caller once read "Get failed: UNKNOWN: channel closed")
        ClosedChannelException closed = new ClosedChannelException();
        closed.initCause(new ClosedChannelException());
        assertTrue(GrpcInstance.connectionBroke(Status.UNKNOWN.withDescription("channel closed").withCause(closed)));
        assertTrue(GrpcInstance.connectionBroke(Status.UNAVAILABLE.withDescription("io exception").withCause(new IOException("Connection reset by peer"))));
        assertTrue(GrpcInstance.connectionBroke(Status.UNAVAILABLE.withDescription("Connection closed after GOAWAY")));
        assertTrue(GrpcInstance.connectionBroke(Status.CANCELLED));
    }

    @Test
    void whatThePluginAnswersIsItsOwn() {
        // go-plugin sends a Go error as UNKNOWN with its text; what comes over the wire carries no cause
        assertFalse(GrpcInstance.connectionBroke(Status.UNKNOWN.withDescription("channel closed")));
        assertFalse(GrpcInstance.connectionBroke(Status.INTERNAL.withDescription("boom")));
        assertFalse(GrpcInstance.connectionBroke(Status.DEADLINE_EXCEEDED.withCause(new IOException("late"))));
        assertFalse(GrpcInstance.connectionBroke(Status.RESOURCE_EXHAUSTED.withDescription("too big")));
    }
}
