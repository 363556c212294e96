package io.gitward.security.authz;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.Scope;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.phase.AuthorizationMode;
import io.gitward.security.phase.PhaseFlags;
import io.gitward.security.server.NodeKind;
import io.gitward.security.token.TokenVerdict;

/**
 * Decides one call from the caller, the method's scope and the effective flags: first authentication
 * (the token rule of the phase), then the mechanism rules that hold in every mode (a token never opens a
 * privileged scope once certificates could be used; an edge must forward a client), then the scope-to-role
 * policy in {@code audit} or {@code enforce} mode. Pure and thread-safe; the interceptor does the I/O.
 */
public final class AccessPolicy {
    private final ScopePolicy scopes;
    private final PhaseFlags flags;

    public AccessPolicy(ScopePolicy scopes, PhaseFlags flags) {
        this.scopes = requireNonNull(scopes, "scopes");
        this.flags = requireNonNull(flags, "flags");
    }

    public PhaseFlags flags() {
        return flags;
    }

    public ScopePolicy scopes() {
        return scopes;
    }

    /**
     * @param method       the method's options, or null for a method without a scope (always denied)
     * @param forwardedSent whether the call carried a forwarded client-certificate header
     */
    public Decision decide(Caller caller, MethodInfo method, boolean forwardedSent) {
        if (method == null) {
            return Decision.permissionDenied("method has no scope; unannotated methods are never served");
        }
        if (method.scope() == Scope.HEALTH) {
            // design.md section 3: anyone may ask for the serving status, which is all a HEALTH method returns.
            return Decision.ALLOW;
        }
        Decision authentication = authenticate(caller);
        if (authentication != null) {
            return authentication;
        }
        NodeIdentity peer = caller.identity();
        boolean viaEdge = peer != null && peer.role() == Role.EDGE;
        if (viaEdge && forwardingApplies(method)) {
            if (caller.forwardedFor() == null) {
                return Decision.permissionDenied("edge " + peer + " called " + method.scope() + " without a forwarded client "
                        + "certificate; an edge never calls with rights of its own");
            }
            if (caller.forwardedFor().role() != Role.CLIENT) {
                return Decision.permissionDenied("edge " + peer + " forwarded " + caller.forwardedFor() + " to "
                        + method.scope() + " on " + scopes.kind() + "; only client identities may be forwarded");
            }
        }
        // A forwarded identity acts only where forwarding applies; anywhere else the peer is itself.
        NodeIdentity effective = viaEdge && forwardingApplies(method) ? caller.forwardedFor() : peer;
        if (effective == null && method.privileged() && !flags.tokenMayGrantPrivilegedScopes()) {
            return Decision.permissionDenied("scope " + method.scope() + " needs a client certificate; a token never grants it"
                    + " once certificates can be used (caller " + (peer != null ? peer.spiffeId() : caller.principal()) + ")");
        }
        if (flags.authorization() == AuthorizationMode.OFF) {
            return Decision.ALLOW;
        }
        String denial = roleDenial(effective, method, viaEdge);
        if (denial == null) {
            return Decision.ALLOW;
        }
        return flags.authorization() == AuthorizationMode.AUDIT ? Decision.wouldDeny(denial)
                : Decision.permissionDenied(denial);
    }

    /** Forwarded identities count only on the proxy's PUBLIC scope. */
    public boolean forwardingApplies(MethodInfo method) {
        return method != null && scopes.kind() == NodeKind.PROXY && method.scope() == Scope.PUBLIC;
    }

    private String roleDenial(NodeIdentity effective, MethodInfo method, boolean viaEdge) {
        if (effective == null) {
            return "scope " + method.scope() + " on " + scopes.kind() + " requires a verified identity; caller has none";
        }
        if (viaEdge && !forwardingApplies(method)) {
            return "scope " + method.scope() + " on " + scopes.kind() + " is not open to edge " + effective;
        }
        if (!scopes.allows(effective, method.scope())) {
            String expected = scopes.rolesFor(method.scope()).isEmpty() ? "no role" : "role "
                    + scopes.rolesFor(method.scope());
            String domain = effective.trustDomain().equals(scopes.ownDomain()) ? ""
                    : " (trust domain " + effective.trustDomain() + " is not admitted for this scope)";
            return "scope " + method.scope() + " on " + scopes.kind() + " requires " + expected + "; caller " + effective
                    + domain;
        }
        return null;
    }

    /** Returns a denial when the phase's token rule is not met, else null. */
    private Decision authenticate(Caller caller) {
        TokenVerdict token = caller.token();
        boolean valid = token == TokenVerdict.VALID;
        boolean sentButBad = token != TokenVerdict.ABSENT && !valid;
        String missing = "a valid token is required (" + token.code() + ")";
        switch (flags.tokens()) {
            case REQUIRED -> {
                return valid ? null : Decision.unauthenticated(missing);
            }
            case TRANSITIONING -> {
                return null;
            }
            case REQUIRED_WITHOUT_CERT -> {
                return valid || caller.identity() != null ? null
                        : Decision.unauthenticated(missing + " from callers without a client certificate");
            }
            case REQUIRED_ON_PLAINTEXT -> {
                if (caller.identity() != null) {
                    return null;
                }
                return valid ? null : Decision.unauthenticated(missing + " from callers without a client certificate");
            }
            case VALIDATE_IF_SENT -> {
                return sentButBad ? Decision.unauthenticated("the token sent is not valid (" + token.code() + ")") : null;
            }
            case IGNORED -> {
                return null;
            }
            default -> {
                return Decision.unauthenticated("unknown token policy");
            }
        }
    }
}
