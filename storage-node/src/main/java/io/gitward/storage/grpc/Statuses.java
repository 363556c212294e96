package io.gitward.storage.grpc;

import io.gitward.storage.StorageException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one mapping from storage refusals to gRPC statuses. Java exceptions never reach trailers. */
final class Statuses {
    private static final Logger LOG = LoggerFactory.getLogger(Statuses.class);

    private Statuses() {
    }

    static StatusRuntimeException of(StorageException e) {
        Status status = switch (e.kind()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case ABORTED -> Status.ABORTED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case INTERNAL -> Status.INTERNAL;
        };
        if (e.kind() == StorageException.Kind.INTERNAL) {
            LOG.error("internal storage error: {}", e.getMessage(), e);
        }
        return status.withDescription(e.getMessage()).asRuntimeException();
    }

    /** Anything unexpected: logged with its stack, answered with INTERNAL and no details. */
    static StatusRuntimeException unexpected(String operation, RuntimeException e) {
        LOG.error("{} failed unexpectedly", operation, e);
        return Status.INTERNAL.withDescription(operation + " failed on this node (see its log)").asRuntimeException();
    }
}
