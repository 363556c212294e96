package io.gitward.sidecar;

import static java.util.Objects.requireNonNull;

import io.gitward.security.http.HttpAuthorizer;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Inbound rules: the path's route names a scope, the node's access policy decides the caller for it under the
 * phase's rules (the same {@link HttpAuthorizer} and audit as the operator endpoints), and an admitted request reaches
 * the app with the verified identity in the identity header. Every {@code x-gitward-*} header and the identity header
 * sent by the caller are removed first, so the app can trust what it finds there. A Gitward bearer token ends here.
 */
final class InboundPolicy implements RequestPolicy {
    /** SHA-256 (lower-case hex) of the caller's leaf certificate: which certificate of that identity was used. */
    static final String CERTIFICATE_HEADER = "x-gitward-peer-certificate-sha256";
    private static final String OWN_PREFIX = "x-gitward-";

    private final InboundRoutes routes;
    private final HttpAuthorizer authorizer;
    private final String identityHeader;

    InboundPolicy(InboundRoutes routes, HttpAuthorizer authorizer, String identityHeader) {
        this.routes = requireNonNull(routes, "routes");
        this.authorizer = requireNonNull(authorizer, "authorizer");
        this.identityHeader = requireNonNull(identityHeader, "identityHeader");
    }

    @Override
    public Refusal admit(Channel channel, HttpRequest request) {
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        String problem = InboundRoutes.requestPathProblem(path);
        if (problem != null) {
            authorizer.recordRefused(channel, request, "path " + problem);
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "bad request: the path " + problem
                    + " (refused, never normalized)");
        }
        InboundRoutes.Route route = routes.find(path);
        if (route == null) {
            authorizer.recordRefused(channel, request, "no route for the path");
            return new Refusal(HttpResponseStatus.FORBIDDEN, "forbidden: no route matches " + path
                    + " (unmatched paths are denied)");
        }
        HttpAuthorizer.Verdict verdict = authorizer.authorize(channel, request, route.method(path));
        if (!verdict.allowed()) {
            String word = verdict.refusal() == HttpResponseStatus.UNAUTHORIZED ? "unauthenticated" : "forbidden";
            return new Refusal(verdict.refusal(), word + ": " + verdict.reason());
        }
        List<String> forged = new ArrayList<>();
        for (var header : request.headers()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith(OWN_PREFIX) || name.equals(identityHeader)) {
                forged.add(header.getKey());
            }
        }
        forged.forEach(request.headers()::remove);
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.startsWith("Bearer v3.")) {
            request.headers().remove(HttpHeaderNames.AUTHORIZATION);
        }
        if (verdict.identity() != null) {
            request.headers().set(identityHeader, verdict.identity().spiffeId());
            String fingerprint = leafFingerprint(channel);
            if (fingerprint != null) {
                request.headers().set(CERTIFICATE_HEADER, fingerprint);
            }
        }
        return null;
    }

    private static String leafFingerprint(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel && channel.parent() != null ? channel.parent() : channel;
        SslHandler ssl = connection.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            X509Certificate leaf = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
        } catch (SSLPeerUnverifiedException | CertificateEncodingException | NoSuchAlgorithmException e) {
            return null;
        }
    }
}
