package io.gitward.security.authz;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Metadata;

/** The keys through which the security runtime hands its verdicts to handlers and transports. */
public final class SecurityContext {
    /** The caller of the current RPC, set by {@link SecurityInterceptor} before any handler runs. */
    public static final Context.Key<Caller> CALLER = Context.key("gitward-caller");

    /** Set on each server transport by {@link PeerAuthenticationFilter}. */
    public static final Attributes.Key<PeerAuthentication> PEER = Attributes.Key.create("gitward-peer");

    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    /**
     * The header in which the proxy tells a storage node which transaction a write belongs to (no secret; storage
     * honours it only from a proxy). One name for the proxy that sends it, the node that reads it and the dialer.
     */
    public static final String TRANSACTION_HEADER = "gitward-transaction-bin";

    private SecurityContext() {
    }

    /** The caller of the current RPC; null outside one. */
    public static Caller caller() {
        return CALLER.get();
    }
}
