package io.gitward.security.authz;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.token.TokenVerdict;

/**
 * Who is calling, as established for one RPC: transport, the identity proven by a verified client
 * certificate (null without one), the token verdict, and an identity forwarded by an {@code edge}.
 * Handlers read it from {@link SecurityContext#CALLER}; they never check roles themselves.
 *
 * @param remoteHost source address (IP only), for audit keys of anonymous callers
 */
public record Caller(Transport transport, NodeIdentity identity, TokenVerdict token, NodeIdentity forwardedFor,
        String remoteHost) {

    /** The identity the call acts for: a forwarded client behind a trusted edge, else the peer itself. */
    public NodeIdentity effectiveIdentity() {
        return forwardedFor != null ? forwardedFor : identity;
    }

    /** Audit principal: the SPIFFE ID, or "anonymous@host" for callers without a verified identity. */
    public String principal() {
        NodeIdentity effective = effectiveIdentity();
        return effective != null ? effective.spiffeId() : "anonymous@" + remoteHost;
    }

    /** Audit credential: how the caller identified itself beyond the transport. */
    public String credential() {
        if (forwardedFor != null) {
            return "forwarded";
        }
        return token == TokenVerdict.ABSENT ? "none" : "token";
    }
}
