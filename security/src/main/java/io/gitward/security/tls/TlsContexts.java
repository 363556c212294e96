package io.gitward.security.tls;

import io.gitward.security.identity.NodeIdentity;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import javax.net.ssl.SSLException;

/** Builds the immutable TLS contexts that {@link ReloadableSslContext}s delegate to. TLS 1.3 preferred, 1.2 allowed. */
public final class TlsContexts {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    /** A server context presenting {@code key}, asking for client certificates as {@code clientAuth} says. */
    public static SslContext server(NodeCredentials credentials, KeyMaterial key, ClientAuth clientAuth,
            TlsProvider provider) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forServer(key.key(), key.chain());
        GrpcSslContexts.configure(builder, provider.netty());
        return serverRules(builder, credentials, clientAuth);
    }

    /**
     * The server context of the HTTP operator endpoints: the same key, client-auth and peer checks as {@link #server},
     * but ALPN offers {@code h2} and {@code http/1.1} (gRPC's context offers only {@code h2}).
     */
    public static SslContext httpServer(NodeCredentials credentials, KeyMaterial key, ClientAuth clientAuth,
            TlsProvider provider) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forServer(key.key(), key.chain())
                .sslProvider(provider.netty())
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
        return serverRules(builder, credentials, clientAuth);
    }

    private static SslContext serverRules(SslContextBuilder builder, NodeCredentials credentials, ClientAuth clientAuth)
            throws SSLException {
        return builder.protocols(PROTOCOLS)
                .clientAuth(clientAuth)
                .trustManager(new PeerTrustManager(credentials, null))
                // Resumed sessions would skip certificate checks; every handshake is a full one.
                .sessionCacheSize(1)
                .sessionTimeout(1)
                .build();
    }

    /**
     * A client context that accepts only {@code expected} as the server and presents {@code key} when it is
     * not null (from phase 2 on).
     */
    public static SslContext client(NodeCredentials credentials, KeyMaterial key, NodeIdentity expected,
            TlsProvider provider) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient();
        GrpcSslContexts.configure(builder, provider.netty());
        builder.protocols(PROTOCOLS).trustManager(new PeerTrustManager(credentials, expected))
                // Identity is the SPIFFE ID, not a DNS name: no hostname verification.
                .endpointIdentificationAlgorithm(null);
        if (key != null) {
            builder.keyManager(key.key(), key.chain());
        }
        return builder.build();
    }

    /**
     * A client context for HTTP/1.1 callbacks (the storage node's access check): like {@link #client} it accepts
     * only {@code expected} as the server (chain, CRL and pinned SPIFFE ID under the current trust; no hostname
     * check), but it always presents {@code key}, offers no ALPN (the peer speaks HTTP/1.1, never h2) and keeps
     * the provider's default cipher suites instead of gRPC's HTTP/2 list. Engines made from it must be created
     * without a peer host and port so no session is resumed past a trust change.
     */
    public static SslContext httpClient(NodeCredentials credentials, KeyMaterial key, NodeIdentity expected,
            TlsProvider provider) throws SSLException {
        java.util.Objects.requireNonNull(key, "key");
        java.util.Objects.requireNonNull(expected, "expected");
        return SslContextBuilder.forClient()
                .sslProvider(provider.netty())
                .protocols(PROTOCOLS)
                .trustManager(new PeerTrustManager(credentials, expected))
                .endpointIdentificationAlgorithm(null)
                .keyManager(key.key(), key.chain())
                .build();
    }
}
