package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.gitward.security.authz.AccessPolicy;
import io.gitward.security.authz.BearerTokens;
import io.gitward.security.authz.CallAudit;
import io.gitward.security.authz.Caller;
import io.gitward.security.authz.Decision;
import io.gitward.security.authz.MethodInfo;
import io.gitward.security.authz.Transport;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.token.TokenVerdict;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Purpose;
import io.grpc.Status;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides one HTTP request the way {@code SecurityInterceptor} decides a gRPC call: the caller from the verified
 * TLS peer certificate (validated again under the current trust, so a revoked certificate is refused at once) or
 * from an {@code Authorization: Bearer} token under the phase's token rule, then the node's current
 * {@link AccessPolicy}, then one audit record with transport {@code http-<transport>}. Fails closed: any error
 * in here denies. Used by the operator endpoints and by the sidecar's inbound routes. Thread-safe.
 */
public final class HttpAuthorizer {
    private static final Logger LOG = LoggerFactory.getLogger(HttpAuthorizer.class);
    static final String UNKNOWN_SCOPE = "UNKNOWN";

    /**
     * The outcome: the HTTP status to answer with when refused (null when allowed), a short reason (never a
     * credential), and the caller's verified identity (null without a verified certificate).
     */
    public record Verdict(HttpResponseStatus refusal, String reason, NodeIdentity identity) {
        static Verdict allowed(NodeIdentity identity) {
            return new Verdict(null, "", identity);
        }

        public boolean allowed() {
            return refusal == null;
        }
    }

    private final SecurityRuntime security;

    public HttpAuthorizer(SecurityRuntime security) {
        this.security = requireNonNull(security, "security");
    }

    /** Decides {@code request} for {@code method} (a route's method info), and records the decision. */
    public Verdict authorize(Channel channel, HttpRequest request, MethodInfo method) {
        AccessPolicy policy = security.policy();
        Caller caller = anonymous(channel);
        try {
            caller = caller(channel, request, policy);
            Decision decision = policy.decide(caller, method, false);
            record(caller, method.scope().name(), decision, policy);
            if (!decision.allowed()) {
                return refusal(decision);
            }
            return Verdict.allowed(caller.identity());
        } catch (CertificateRejectedException e) {
            Decision decision = Decision.unauthenticated("peer certificate no longer valid: " + e.reason());
            record(caller, method.scope().name(), decision, policy);
            return refusal(decision);
        } catch (RuntimeException e) {
            LOG.error("authorization of HTTP {} failed; denying the request", method.fullMethodName(), e);
            Decision decision = Decision.permissionDenied("authorization error; the request is denied");
            record(caller, method.scope().name(), decision, policy);
            return refusal(decision);
        }
    }

    /** Records a request refused before any policy applies (unknown path, method other than GET/HEAD). */
    public void recordRefused(Channel channel, HttpRequest request, String reason) {
        AccessPolicy policy = security.policy();
        Caller caller;
        try {
            caller = caller(channel, request, policy);
        } catch (CertificateRejectedException | RuntimeException e) {
            caller = anonymous(channel);
        }
        record(caller, UNKNOWN_SCOPE, Decision.permissionDenied(reason), policy);
    }

    private void record(Caller caller, String scope, Decision decision, AccessPolicy policy) {
        security.callAudit().record(caller, CallAudit.HTTP_PREFIX + caller.transport().code(), scope, decision,
                policy.flags());
    }

    private static Verdict refusal(Decision decision) {
        HttpResponseStatus status = decision.code() == Status.Code.UNAUTHENTICATED ? HttpResponseStatus.UNAUTHORIZED
                : HttpResponseStatus.FORBIDDEN;
        return new Verdict(status, decision.reason(), null);
    }

    private Caller caller(Channel channel, HttpRequest request, AccessPolicy policy) throws CertificateRejectedException {
        Channel connection = connection(channel);
        SslHandler ssl = connection.pipeline().get(SslHandler.class);
        Transport transport = Transport.PLAINTEXT;
        NodeIdentity identity = null;
        if (ssl != null) {
            transport = Transport.TLS;
            List<X509Certificate> chain = peerChain(ssl);
            if (chain != null) {
                // The handshake checked the chain; checking again here applies a CRL that changed since.
                identity = security.credentials().validate(chain, Purpose.TLS_CLIENT, false).identity();
                transport = Transport.MTLS;
            }
        }
        if (request.headers().contains(security.settings().forwardedHeader())) {
            // Forwarded identities count only on the proxy's PUBLIC scope; never on operator endpoints.
            security.metrics().forwardedHeaderStripped();
        }
        TokenVerdict token = BearerTokens.verdict(request.headers().get(HttpHeaderNames.AUTHORIZATION),
                policy.flags().tokens(), security.tokens(), security.metrics());
        return new Caller(transport, identity, token, null, remoteHost(connection));
    }

    private static Caller anonymous(Channel channel) {
        Channel connection = connection(channel);
        Transport transport = connection.pipeline().get(SslHandler.class) == null ? Transport.PLAINTEXT : Transport.TLS;
        return new Caller(transport, null, TokenVerdict.ABSENT, null, remoteHost(connection));
    }

    /** The TCP connection: an HTTP/2 stream's parent, else the channel itself. */
    static Channel connection(Channel channel) {
        return channel instanceof Http2StreamChannel && channel.parent() != null ? channel.parent() : channel;
    }

    private static List<X509Certificate> peerChain(SslHandler ssl) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : ssl.engine().getSession().getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
            return chain.isEmpty() ? null : chain;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    private static String remoteHost(Channel connection) {
        if (connection.remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "unknown";
    }
}
