package io.gitward.security.authz;

import static java.util.Objects.requireNonNull;

import io.gitward.security.audit.AuditLog;
import io.gitward.security.audit.RateLimitedLog;
import io.gitward.security.audit.SecurityMetrics;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.phase.TokenPolicy;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.token.TokenVerdict;
import io.gitward.security.token.Tokens;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.RejectReason;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where calls are authenticated and authorized. Establishes the {@link Caller}, asks the
 * current {@link AccessPolicy}, records the audit, removes credentials from the headers before any handler
 * sees them, and fails closed: an unknown method or an error in here denies the call.
 */
public final class SecurityInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(SecurityInterceptor.class);

    private final AtomicReference<AccessPolicy> policy;
    private final MethodRegistry methods;
    private final NodeCredentials credentials;
    private final Supplier<Tokens> tokens;
    private final CallAudit audit;
    private final SecurityMetrics metrics;
    private final RateLimitedLog wouldDenyLog;
    private final Metadata.Key<String> forwardedHeader;
    private final int forwardedMaxBytes;
    private final ConcurrencyLimiter expensiveCalls;

    public SecurityInterceptor(AtomicReference<AccessPolicy> policy, MethodRegistry methods, NodeCredentials credentials,
            Supplier<Tokens> tokens, AuditLog audit, SecurityMetrics metrics, RateLimitedLog wouldDenyLog,
            String forwardedHeader, int forwardedMaxBytes, ConcurrencyLimiter expensiveCalls) {
        this.policy = requireNonNull(policy, "policy");
        this.methods = requireNonNull(methods, "methods");
        this.credentials = requireNonNull(credentials, "credentials");
        this.tokens = requireNonNull(tokens, "tokens");
        this.metrics = requireNonNull(metrics, "metrics");
        this.audit = new CallAudit(requireNonNull(audit, "audit"), metrics);
        this.wouldDenyLog = requireNonNull(wouldDenyLog, "wouldDenyLog");
        this.forwardedHeader = Metadata.Key.of(forwardedHeader, Metadata.ASCII_STRING_MARSHALLER);
        this.forwardedMaxBytes = forwardedMaxBytes;
        this.expensiveCalls = requireNonNull(expensiveCalls, "expensiveCalls");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String methodName = call.getMethodDescriptor().getFullMethodName();
        Caller caller;
        Decision decision;
        MethodInfo method = methods.find(methodName).orElse(null);
        AccessPolicy current = policy.get();
        try {
            PeerAuthentication peer = call.getAttributes().get(SecurityContext.PEER);
            if (peer == null) {
                // Every listener installs PeerAuthenticationFilter; a transport without it is not trusted.
                return deny(call, Decision.unauthenticated("connection was not authenticated by the transport"), null,
                        method, current);
            }
            if (peer.rejected()) {
                return deny(call, Decision.unauthenticated("peer certificate refused: " + peer.rejection()), null, method,
                        current);
            }
            NodeIdentity identity = currentIdentity(peer);
            TokenVerdict token = tokenVerdict(headers, current.flags().tokens());
            boolean forwardedSent = headers.containsKey(forwardedHeader);
            boolean fromEdge = identity != null && identity.role() == Role.EDGE;
            NodeIdentity forwarded = null;
            if (forwardedSent) {
                // Honoured only from an edge and only where forwarding applies; anywhere else stripped and counted.
                if (fromEdge && current.forwardingApplies(method)) {
                    forwarded = forwardedIdentity(headers);
                } else {
                    metrics.forwardedHeaderStripped();
                }
            }
            caller = new Caller(peer.transport(), identity, token, forwarded, peer.remoteHost());
            decision = current.decide(caller, method, forwardedSent && fromEdge);
        } catch (CertificateRejectedException e) {
            return deny(call, Decision.unauthenticated("peer certificate no longer valid: " + e.getMessage()), null, method,
                    current);
        } catch (IllegalArgumentException e) {
            return deny(call, Decision.permissionDenied(e.getMessage()), null, method, current);
        } catch (RuntimeException e) {
            LOG.error("authorization of {} failed; denying the call", methodName, e);
            return deny(call, Decision.permissionDenied("authorization error; the call is denied"), null, method, current);
        }
        record(caller, method, decision, current);
        if (!decision.allowed()) {
            return deny(call, decision, caller, method, current);
        }
        if (decision.wouldDeny() && wouldDenyLog.shouldLog(caller.principal() + "|" + methodName)) {
            LOG.warn("audit: would deny {} from {} over {}: {}", methodName, caller.principal(), caller.transport().code(),
                    decision.reason());
        }
        headers.removeAll(SecurityContext.AUTHORIZATION);
        headers.removeAll(forwardedHeader);
        Context context = Context.current().withValue(SecurityContext.CALLER, caller);
        if (method != null && method.expensive()) {
            return limited(call, headers, next, context, caller.principal());
        }
        return Contexts.interceptCall(context, call, headers, next);
    }

    /** Runs an expensive call only within the caller's concurrency allowance, releasing the slot once it ends. */
    private <Q, R> ServerCall.Listener<Q> limited(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next,
            Context context, String principal) {
        if (!expensiveCalls.tryAcquire(principal)) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("too many concurrent expensive calls from " + principal
                    + " (limit " + expensiveCalls.perCaller() + ")"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                expensiveCalls.release(principal);
            }
        };
        ServerCall<Q, R> releasing = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                release.run();
                super.close(status, trailers);
            }
        };
        try {
            ServerCall.Listener<Q> listener = Contexts.interceptCall(context, releasing, headers, next);
            return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onCancel() {
                    release.run();
                    super.onCancel();
                }

                @Override
                public void onComplete() {
                    release.run();
                    super.onComplete();
                }
            };
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
    }

    /**
     * The peer's identity, re-checked for revocation when trust changed since the handshake (a revoked peer is
     * refused at once, even before its connection is closed). Other trust changes apply to new handshakes.
     */
    private NodeIdentity currentIdentity(PeerAuthentication peer) throws CertificateRejectedException {
        if (peer.peer() == null || peer.generation() == credentials.trust().generation()) {
            return peer.identity();
        }
        try {
            credentials.validate(peer.chain(), Purpose.TLS_CLIENT, false);
        } catch (CertificateRejectedException e) {
            if (e.reason() == RejectReason.REVOKED) {
                throw e;
            }
        }
        return peer.identity();
    }

    private NodeIdentity forwardedIdentity(Metadata headers) throws CertificateRejectedException {
        List<X509Certificate> chain = ForwardedIdentity.parse(headers.getAll(forwardedHeader), forwardedMaxBytes);
        return credentials.validate(chain, Purpose.TLS_CLIENT, false).identity();
    }

    private TokenVerdict tokenVerdict(Metadata headers, TokenPolicy policy) {
        Iterable<String> values = headers.getAll(SecurityContext.AUTHORIZATION);
        return BearerTokens.verdict(values == null ? null : values.iterator().next(), policy, tokens.get(), metrics);
    }

    private void record(Caller caller, MethodInfo method, Decision decision, AccessPolicy current) {
        String scope = method == null ? "UNKNOWN" : method.scope().name();
        audit.record(caller, caller.transport().code(), scope, decision, current.flags());
    }

    private <Q, R> ServerCall.Listener<Q> deny(ServerCall<Q, R> call, Decision decision, Caller caller, MethodInfo method,
            AccessPolicy current) {
        if (caller == null) {
            String host = "unknown";
            PeerAuthentication peer = call.getAttributes().get(SecurityContext.PEER);
            if (peer != null) {
                host = peer.remoteHost();
            }
            Caller anonymous = new Caller(peer == null ? Transport.PLAINTEXT : peer.transport(), null, TokenVerdict.ABSENT,
                    null, host);
            record(anonymous, method, decision, current);
        }
        call.close(Status.fromCode(decision.code()).withDescription(decision.reason()), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
