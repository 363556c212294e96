package io.gitward.security.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node ends a call whose handler threw: the exception goes to the node's log with the method's name, the
 * client gets UNKNOWN without the exception's text (it may name files or internals) and is pointed at that log.
 * gRPC's own answer to a throwing handler on a transport thread is the same status, unlogged.
 */
final class HandlerFailures {
    private static final Logger LOG = LoggerFactory.getLogger(HandlerFailures.class);
    static final String DESCRIPTION = "the handler failed (see the node's log)";

    private HandlerFailures() {
    }

    static void end(ServerCall<?, ?> call, RuntimeException e) {
        LOG.warn("{} failed in its handler", call.getMethodDescriptor().getFullMethodName(), e);
        try {
            call.close(Status.UNKNOWN.withDescription(DESCRIPTION), new Metadata());
        } catch (IllegalStateException alreadyClosed) {
            // The handler closed the call before it threw: nothing left to end.
        }
    }
}
