package io.gitward.bench.cluster;

import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.tls.TrustState;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
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
import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Channels to one {@link LoadPlan.Target}: plaintext (with a fresh legacy token per call when a token file is
 * given) or mTLS with the target's provider, presenting its certificate and accepting only the pinned server
 * identity. Retries are off: a failed call is counted, never repeated. The TLS context is built once, so a
 * new connection per call pays for TCP, the handshake and HTTP/2 set-up, not for loading files.
 */
final class Connections {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    /** The proxy's routing hint (its AccessorRoute reads it). */
    private static final Metadata.Key<String> ROUTE = Metadata.Key.of("gitward-route", Metadata.ASCII_STRING_MARSHALLER);

    private final LoadPlan.Target target;
    private final ListenAddress address;
    private final SslContext context;
    private final Tokens tokens;

    Connections(LoadPlan.Target target) throws Exception {
        this.target = target;
        this.address = ListenAddress.parse(target.address());
        this.context = target.plaintext() ? null : context(target);
        this.tokens = target.tokenFile() == null ? null
                : new Tokens(TokenSecret.load(Path.of(target.tokenFile())), Duration.ofSeconds(30), Clock.systemUTC(), 1);
    }

    private static SslContext context(LoadPlan.Target target) throws Exception {
        NodeIdentity server = NodeIdentity.parseSpiffeId(target.server());
        TrustState trust = new TrustState(new TrustMaterial(List.of(TrustBundles.load(server.trustDomain(),
                Path.of(target.roots()), List.of(Path.of(target.crl())), RevocationPolicy.REQUIRE))), IdentityMode.URI_SAN,
                false, 1);
        KeyMaterial key = KeyMaterial.load(Path.of(target.key()), Path.of(target.chain()));
        NodeCredentials credentials = new NodeCredentials(key, trust, new HandshakeFailures(), Clock.systemUTC());
        TlsProvider provider = TlsProvider.valueOf(target.transport().toUpperCase(Locale.ROOT));
        return TlsContexts.client(credentials, key, server, provider);
    }

    /** A new connection (a channel of its own); the caller closes it. */
    ManagedChannel open() {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.host(), address.port()).disableRetry()
                .maxInboundMessageSize(16 << 20);
        if (context == null) {
            builder.usePlaintext();
        } else {
            builder.sslContext(context);
        }
        return builder.build();
    }

    /** Calls on {@code channel}, with a legacy token on each when the target has one, and its routing header. */
    Channel calls(ManagedChannel channel) {
        Channel calls = tokens == null ? channel
                : ClientInterceptors.intercept(channel, header(AUTHORIZATION, () -> "Bearer " + tokens.issue()));
        return target.readFromPrimary() ? ClientInterceptors.intercept(calls, header(ROUTE, () -> "primary")) : calls;
    }

    LoadPlan.Target target() {
        return target;
    }

    static void close(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Puts {@code key} on every call, its value asked for per call (a token is never reused). */
    private static ClientInterceptor header(Metadata.Key<String> key, java.util.function.Supplier<String> value) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(key, value.get());
                        super.start(listener, headers);
                    }
                };
            }
        };
    }
}
