package io.gitward.security.runtime;

import static java.util.Objects.requireNonNull;

import io.gitward.security.authz.DialedConnections;
import io.gitward.security.authz.SecurityContext;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.phase.OutboundToken;
import io.gitward.security.phase.PhaseFlags;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.ReloadableSslContext;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.token.Tokens;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * How this node dials its peers, following the outbound flags: TLS to a pinned identity (the handshake
 * fails, and nothing is sent, unless the server proves exactly that identity), this node's certificate when
 * the phase says so, and a fresh bearer token only where the phase still sends one. Client TLS contexts are
 * rebuilt when the node's key or trust changes; open connections keep working, except those to a peer whose
 * certificate got revoked, which the runtime closes (see {@link io.gitward.security.authz.DialedConnections}).
 */
public final class OutboundChannels {
    private final NodeCredentials credentials;
    private final TlsProvider provider;
    private final Supplier<PhaseFlags> flags;
    private final Supplier<Tokens> tokens;
    private final Map<NodeIdentity, ReloadableSslContext> contexts = new ConcurrentHashMap<>();
    /** Where dialed connections are tracked (and the event loops they run on); null: gRPC's defaults, untracked. */
    private final DialedConnections dialed;
    private final EventLoopGroup loops;
    /**
     * The flags dials follow: updated only after the client contexts were rebuilt for them, so a channel that
     * re-dials for a new phase never gets a context of the old one (e.g. one without the client certificate).
     */
    private volatile PhaseFlags dialFlags;

    public OutboundChannels(NodeCredentials credentials, TlsProvider provider, Supplier<PhaseFlags> flags,
            Supplier<Tokens> tokens) {
        this(credentials, provider, flags, tokens, null, null);
    }

    /**
     * Like the four-argument constructor, and every connection dialed is registered in {@code dialed} (running on
     * {@code loops}), so the node can close the ones whose server certificate gets revoked.
     */
    public OutboundChannels(NodeCredentials credentials, TlsProvider provider, Supplier<PhaseFlags> flags,
            Supplier<Tokens> tokens, DialedConnections dialed, EventLoopGroup loops) {
        if ((dialed == null) != (loops == null)) {
            throw new IllegalArgumentException("tracked connections need their event loops, and the other way round");
        }
        this.dialed = dialed;
        this.loops = loops;
        this.credentials = requireNonNull(credentials, "credentials");
        this.provider = requireNonNull(provider, "provider");
        this.flags = requireNonNull(flags, "flags");
        this.dialFlags = flags.get();
        this.tokens = requireNonNull(tokens, "tokens");
        credentials.onKeyMaterialChange(key -> rebuildAll());
        // Fresh contexts on every CRL or bundle change: a client context caches sessions, and a resumed session
        // skips the server's certificate, so a peer revoked since could be reached again without any check. Until
        // the rebuild is done no session is resumed (the runtime may close connections to a revoked peer first).
        credentials.onTrustChange(trust -> {
            forgetSessions();
            rebuildAll();
        });
        if (dialed != null) {
            dialed.beforeClosing(this::forgetSessions);
        }
    }

    /** No handshake resumes a session cached so far, until the contexts are rebuilt. */
    public void forgetSessions() {
        contexts.values().forEach(ReloadableSslContext::forgetSessions);
    }

    /**
     * A channel to {@code peer}; the caller owns and shuts it down. It follows phase changes: when the flags
     * change how this node dials (TLS or plaintext, with or without a token), the next call goes over a freshly
     * dialed connection and the old one closes after its calls finish.
     */
    public ManagedChannel dial(PeerEndpoint peer) throws SSLException {
        return dial(peer, false);
    }

    /**
     * Like {@link #dial(PeerEndpoint)}; with {@code callbacksOnTransport} the calls' listeners run on the transport's
     * event loop instead of a thread pool (one hand-off less per event). Only for callers whose listeners never
     * block, such as the proxy relaying bytes.
     */
    public ManagedChannel dial(PeerEndpoint peer, boolean callbacksOnTransport) throws SSLException {
        return dial(peer, callbacksOnTransport, null);
    }

    /**
     * Like {@link #dial(PeerEndpoint, boolean)}, with the channel's connections on {@code loop} (one of the node's
     * worker loops; null: any of them). A relay whose inbound connection runs on that loop then reads, writes and
     * answers on one thread, with no wake-up of another thread per message.
     */
    public ManagedChannel dial(PeerEndpoint peer, boolean callbacksOnTransport, EventLoop loop) throws SSLException {
        if (loop != null && dialed == null) {
            throw new IllegalArgumentException("a channel on a given event loop needs the node's tracked connections");
        }
        Route route = route(peer);
        return new PhaseFollowingChannel(connect(peer, route, callbacksOnTransport, loop), route, () -> route(peer),
                next -> connect(peer, next, callbacksOnTransport, loop));
    }

    /** How the current flags say to reach {@code peer}. */
    private Route route(PeerEndpoint peer) {
        PhaseFlags current = dialFlags;
        boolean tls = peer.tls() != null && (current.outboundTls() || peer.plaintext() == null);
        boolean sendToken = current.outboundToken() == OutboundToken.ALWAYS
                || (current.outboundToken() == OutboundToken.PLAINTEXT_ONLY && !tls);
        return new Route(tls, tls && current.outboundClientCert(), sendToken);
    }

    private ManagedChannel connect(PeerEndpoint peer, Route route, boolean callbacksOnTransport, EventLoop loop)
            throws SSLException {
        NettyChannelBuilder builder;
        if (route.tls()) {
            builder = NettyChannelBuilder.forAddress(peer.tls().host(), peer.tls().port())
                    .sslContext(contextFor(peer.identity()));
        } else {
            builder = NettyChannelBuilder.forAddress(peer.plaintext().host(), peer.plaintext().port()).usePlaintext();
        }
        builder.neverIndexMetadataKeys(UnindexedHeaders.KEYS);
        if (route.token() && tokens.get() != null) {
            builder.intercept(new TokenSender(tokens));
        }
        if (callbacksOnTransport) {
            builder.directExecutor();
        }
        if (dialed != null) {
            // A custom channel type (connection tracking) means gRPC wants the event loops from us too.
            // An event loop is a group of one: every connection of this channel then runs on it.
            builder.channelFactory(dialed.factory(), InetSocketAddress.class).eventLoopGroup(loop != null ? loop : loops);
        }
        return builder.build();
    }

    /**
     * What one dial decided: TLS or plaintext, a client certificate or none (a connection keeps what its
     * handshake presented, so presenting one from now on takes a new connection), a token or none.
     */
    record Route(boolean tls, boolean clientCertificate, boolean token) {
    }

    private synchronized ReloadableSslContext contextFor(NodeIdentity expected) throws SSLException {
        ReloadableSslContext existing = contexts.get(expected);
        if (existing != null) {
            return existing;
        }
        ReloadableSslContext created = new ReloadableSslContext(build(expected));
        ReloadableSslContext raced = contexts.putIfAbsent(expected, created);
        return raced != null ? raced : created;
    }

    private io.netty.handler.ssl.SslContext build(NodeIdentity expected) throws SSLException {
        return build(expected, dialFlags);
    }

    private io.netty.handler.ssl.SslContext build(NodeIdentity expected, PhaseFlags using) throws SSLException {
        KeyMaterial key = using.outboundClientCert() ? credentials.keyMaterial() : null;
        return TlsContexts.client(credentials, key, expected, provider);
    }

    /**
     * Called when the key rotates, the trust changes or the outbound flags change: contexts first (with empty
     * session caches), then the flags dials follow.
     */
    public synchronized void rebuildAll() {
        PhaseFlags next = flags.get();
        for (Map.Entry<NodeIdentity, ReloadableSslContext> entry : contexts.entrySet()) {
            try {
                entry.getValue().swap(build(entry.getKey(), next));
            } catch (SSLException e) {
                org.slf4j.LoggerFactory.getLogger(OutboundChannels.class).error(
                        "cannot rebuild the client TLS context for {}; keeping the previous one: {}", entry.getKey(),
                        e.getMessage());
            }
        }
        dialFlags = next;
    }

    /** Adds {@code authorization: Bearer <fresh token>} to each call; a token is never reused. */
    private static final class TokenSender implements ClientInterceptor {
        private final Supplier<Tokens> tokens;

        TokenSender(Supplier<Tokens> tokens) {
            this.tokens = tokens;
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    Tokens current = tokens.get();
                    if (current != null) {
                        headers.put(SecurityContext.AUTHORIZATION, "Bearer " + current.issue());
                    }
                    super.start(listener, headers);
                }
            };
        }
    }
}
