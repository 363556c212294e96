package io.gitward.tests.auth;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Set;

/**
 * One real RPC as the auth matrix calls it: arguments that change nothing in the cluster, and the status codes
 * that can only come from the method's handler, so they prove the call passed authentication and authorization.
 * UNAUTHENTICATED, PERMISSION_DENIED and UNAVAILABLE are never among them (the interceptor and the transport
 * answer with those); a handler's own PERMISSION_DENIED is recognised by {@code handlerDenial} instead.
 *
 * @param handlerDenial start of the description of a PERMISSION_DENIED the handler returns after authorization
 *                      (a vote cast for another voter), or null when the handler never denies
 */
record RealRpc(String method, MethodDescriptor.MethodType type, byte[] request, Set<Status.Code> passed,
        String handlerDenial) {
    RealRpc {
        passed = Set.copyOf(passed);
        for (Status.Code code : passed) {
            if (code == Status.Code.UNAUTHENTICATED || code == Status.Code.PERMISSION_DENIED
                    || code == Status.Code.UNAVAILABLE) {
                throw new IllegalArgumentException(method + ": " + code + " cannot prove that authorization passed");
            }
        }
    }

    /** Whether a call's end proves that it passed authorization. */
    boolean passedAuthorization(Status status) {
        return passed.contains(status.getCode()) || (handlerDenial != null
                && status.getCode() == Status.Code.PERMISSION_DENIED
                && String.valueOf(status.getDescription()).startsWith(handlerDenial));
    }
}
