package io.gitward.security.authz;

import io.gitward.proto.OperationType;
import io.gitward.proto.Scope;

/**
 * What the proto options say about one RPC.
 *
 * @param fullMethodName        {@code package.Service/Method}
 * @param targetRepositoryField number of the request field marked {@code (gitward.target_repository)}, or 0
 * @param expensive             marked {@code (gitward.expensive)}: concurrent calls are limited per caller
 * @param clientStreaming       the request is a stream
 * @param serverStreaming       the response is a stream
 */
public record MethodInfo(String fullMethodName, Scope scope, OperationType operation, int targetRepositoryField,
        boolean expensive, boolean clientStreaming, boolean serverStreaming) {

    /** A unary method. */
    public MethodInfo(String fullMethodName, Scope scope, OperationType operation, int targetRepositoryField,
            boolean expensive) {
        this(fullMethodName, scope, operation, targetRepositoryField, expensive, false, false);
    }

    /** Scopes a bearer token can never open once callers could present certificates (design.md section 4). */
    public boolean privileged() {
        return switch (scope) {
            case ADMIN_READ, ADMIN_WRITE, TX_VOTE, INTERNAL, MAINTENANCE -> true;
            default -> false;
        };
    }
}
