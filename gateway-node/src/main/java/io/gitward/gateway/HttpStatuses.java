package io.gitward.gateway;

import io.grpc.Status;

/** The HTTP status a Git client gets for a gRPC status from the proxy, in one place. */
final class HttpStatuses {
    private HttpStatuses() {
    }

    static int of(Status status) {
        return switch (status.getCode()) {
            case OK -> 200;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            // No 401: git would start asking for a password, which this gateway never accepts.
            case UNAUTHENTICATED, PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }
}
