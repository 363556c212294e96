package io.gitward.storage.tx;

import io.gitward.proto.TransactionContext;
import io.gitward.security.authz.Caller;
import io.gitward.security.authz.SecurityContext;
import io.gitward.security.identity.Role;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.token.TokenVerdict;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;

/**
 * Reads {@code gitward-transaction-bin} into the call's context, and only from the proxy: a peer with a
 * proxy certificate, or (phases 0-1, before certificates are requested) a caller authenticated by token as
 * the old design did. From anyone else the call is refused, so no client can make a node vote.
 */
public final class TransactionHeader implements ServerInterceptor {
    public static final String NAME = SecurityContext.TRANSACTION_HEADER;
    public static final Metadata.Key<TransactionContext> KEY = Metadata.Key.of(NAME,
            ProtoUtils.metadataMarshaller(TransactionContext.getDefaultInstance()));
    public static final Context.Key<TransactionContext> CONTEXT = Context.key("gitward-transaction");

    private final SecurityRuntime security;

    public TransactionHeader(SecurityRuntime security) {
        this.security = security;
    }

    /** The transaction of the current call, or null outside one. */
    public static TransactionContext current() {
        return CONTEXT.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!headers.containsKey(KEY)) {
            return next.startCall(call, headers);
        }
        TransactionContext transaction;
        try {
            transaction = headers.get(KEY);
            if (transaction == null) {
                throw new IllegalArgumentException("empty");
            }
        } catch (RuntimeException e) {
            call.close(Status.INVALID_ARGUMENT.withDescription("gitward-transaction-bin: not a TransactionContext"),
                    new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        Caller caller = SecurityContext.caller();
        if (!fromProxy(caller)) {
            call.close(Status.PERMISSION_DENIED.withDescription("gitward-transaction-bin from "
                    + (caller == null ? "an unauthenticated caller" : caller.principal())
                    + "; only the proxy may start a transactional update"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValue(CONTEXT, transaction), call, headers, next);
    }

    private boolean fromProxy(Caller caller) {
        if (caller == null) {
            return false;
        }
        if (caller.identity() != null) {
            return caller.identity().role() == Role.PROXY;
        }
        // The legacy scheme: before nodes ask for certificates, a valid token is how the proxy is recognised.
        return caller.token() == TokenVerdict.VALID && security.phaseFlags().tokenMayGrantPrivilegedScopes();
    }
}
