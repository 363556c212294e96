package io.gitward.cli.client;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.KeyMaterialException;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.tls.TrustState;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
import io.gitward.security.x509.PemException;
import io.gitward.security.x509.RevocationPolicy;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Where and as whom the client calls: an address; either plaintext or TLS that accepts only {@code server}
 * (validated against {@code roots}, and {@code crl} when given), presenting {@code chain}/{@code key} when
 * given; and, only when a token file is given, a fresh legacy token on every call (phases 0 to 4).
 */
public record ClientEndpoint(ListenAddress address, boolean plaintext, Path roots, Path crl, Path chain, Path key,
        NodeIdentity server, Path tokenFile) {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    public ClientEndpoint {
        requireNonNull(address, "address");
        if (!plaintext && (roots == null || server == null)) {
            throw new IllegalArgumentException("TLS needs the CA bundle and the server's identity");
        }
        if ((chain == null) != (key == null)) {
            throw new IllegalArgumentException("a client certificate needs both its chain and its key");
        }
    }

    /** The channel and whatever else must be closed with it. */
    public Connection open() throws ClientException {
        // No retries: a failed call is reported, never silently repeated.
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.host(), address.port()).disableRetry();
        if (plaintext) {
            builder.usePlaintext();
        } else {
            builder.sslContext(sslContext());
        }
        ManagedChannel channel = builder.build();
        Channel calls = tokenFile == null ? channel : ClientInterceptors.intercept(channel, bearer(tokens()));
        return new Connection(channel, calls);
    }

    private io.netty.handler.ssl.SslContext sslContext() throws ClientException {
        try {
            TrustState trust = new TrustState(new TrustMaterial(List.of(TrustBundles.load(server.trustDomain(), roots,
                    crl == null ? List.of() : List.of(crl), crl == null ? RevocationPolicy.OFF : RevocationPolicy.REQUIRE))),
                    IdentityMode.URI_SAN, false, 1);
            KeyMaterial material = chain == null ? null : KeyMaterial.load(key, chain);
            NodeCredentials credentials = new NodeCredentials(material, trust, new HandshakeFailures(), Clock.systemUTC());
            return TlsContexts.client(credentials, material, server, TlsProvider.BORINGSSL);
        } catch (KeyMaterialException e) {
            throw new ClientException("client certificate " + chain + " / " + key + ": " + e.getMessage());
        } catch (PemException | IOException | RuntimeException e) {
            throw new ClientException("TLS set-up with " + roots + (crl == null ? "" : " and " + crl) + ": "
                    + e.getMessage());
        }
    }

    private Tokens tokens() throws ClientException {
        try {
            return new Tokens(TokenSecret.load(tokenFile), Duration.ofSeconds(30), Clock.systemUTC(), 1);
        } catch (IOException | RuntimeException e) {
            throw new ClientException("token file " + tokenFile + ": " + e.getMessage());
        }
    }

    private static ClientInterceptor bearer(Tokens tokens) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(AUTHORIZATION, "Bearer " + tokens.issue());
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /** An open connection: {@link #calls()} for stubs; close to release the socket. */
    public record Connection(ManagedChannel channel, Channel calls) implements AutoCloseable {
        @Override
        public void close() {
            channel.shutdownNow();
        }
    }
}
