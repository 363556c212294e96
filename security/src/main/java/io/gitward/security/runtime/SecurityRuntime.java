package io.gitward.security.runtime;

import static java.util.Objects.requireNonNull;

import io.gitward.security.audit.AuditLog;
import io.gitward.security.audit.LimitCounters;
import io.gitward.security.audit.RateLimitedLog;
import io.gitward.security.audit.SecurityMetrics;
import io.gitward.security.authz.AccessPolicy;
import io.gitward.security.authz.CallAudit;
import io.gitward.security.authz.ConnectionRegistry;
import io.gitward.security.authz.DialedConnections;
import io.gitward.security.authz.LimitWatch;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.security.authz.PeerAuthenticationFilter;
import io.gitward.security.authz.ScopePolicy;
import io.gitward.security.authz.SecurityInterceptor;
import io.gitward.security.authz.TrackingServerSocketChannel;
import io.gitward.security.phase.EffectiveFlags;
import io.gitward.security.phase.PhaseFlags;
import io.gitward.security.server.NodeKind;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.KeyMaterialException;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.ReloadableSslContext;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TrustState;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.PemException;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.RejectReason;
import io.gitward.security.x509.TrustMaterial;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security side of a running node: its credentials, the access policy, the interceptor and transport
 * filter every gRPC listener installs, the limits, the reloads of key/certificate/bundle/CRL files, and
 * the outbound dialer. One instance per node. Thread-safe.
 */
public final class SecurityRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SecurityRuntime.class);
    /** Between the GOAWAY that stops new streams on a retired connection and its close. */
    private static final java.time.Duration CONNECTION_DRAIN_GRACE = java.time.Duration.ofSeconds(2);
    /** How long clients told to reconnect get before a stricter client-auth policy applies. */
    private static final java.time.Duration RECONNECT_WAIT = java.time.Duration.ofMillis(500);

    private final SecuritySettings settings;
    private final NodeKind kind;
    private final NodeCredentials credentials;
    private final AtomicReference<EffectiveFlags> flags;
    private final AtomicReference<AccessPolicy> policy;
    private final AtomicReference<Tokens> tokens;
    private final AuditLog audit;
    private final SecurityMetrics metrics = new SecurityMetrics();
    private final LimitCounters limitCounters = new LimitCounters();
    private final ConnectionRegistry registry;
    /**
     * The health probe listeners' connections (gRPC health, http-health): open to anyone, so they get their own
     * budget of {@code max-connections} and cannot take the slots of authenticated peers.
     */
    private final ConnectionRegistry probeRegistry;
    private final LimitWatch limitWatch;
    private final LimitWatch probeLimitWatch;
    private final DialedConnections dialed = new DialedConnections();
    private final SecurityInterceptor interceptor;
    private final PeerAuthenticationFilter filter;
    private final ReloadableSslContext serverContext;
    /** The HTTP operator endpoints' context: same key and client-auth, ALPN h2 and http/1.1. */
    private final ReloadableSslContext httpServerContext;
    private final CallAudit callAudit;
    private final OutboundChannels outbound;
    private final ScheduledExecutorService background;
    private final EventLoopGroup bossGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workerGroup = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private final ReloadCounters reloads = new ReloadCounters();
    private final Clock clock;
    private final List<WatchedFiles> watchedFiles;
    /** Null unless code (never config) installed one: see {@link #onAcceptedConnection}. */
    private volatile java.util.function.Consumer<io.netty.channel.socket.SocketChannel> acceptedConnectionHook;

    private SecurityRuntime(SecuritySettings settings, NodeKind kind, NodeCredentials credentials, Tokens tokens,
            AuditLog audit, Clock clock) throws SSLException {
        this.settings = settings;
        this.kind = kind;
        this.credentials = credentials;
        this.flags = new AtomicReference<>(settings.flags());
        this.tokens = new AtomicReference<>(tokens);
        this.audit = audit;
        this.clock = clock;
        this.policy = new AtomicReference<>(new AccessPolicy(ScopePolicy.of(kind, settings.trustDomain(), settings.rules(),
                settings.allowDirectClientStorage()), settings.flags().flags()));
        this.registry = new ConnectionRegistry(settings.limits().maxConnections(), credentials.failures(), limitCounters,
                settings.limits().handshakeTimeout());
        this.probeRegistry = new ConnectionRegistry(settings.limits().maxConnections(), credentials.failures(),
                limitCounters, settings.limits().handshakeTimeout());
        this.limitWatch = new LimitWatch(registry, limitCounters);
        this.probeLimitWatch = new LimitWatch(probeRegistry, limitCounters);
        this.interceptor = new SecurityInterceptor(policy, MethodRegistry.instance(), credentials, this.tokens::get, audit,
                metrics, new RateLimitedLog(settings.wouldDenyLogPeriod(), 10_000, clock), settings.forwardedHeader(),
                settings.forwardedMaxBytes(), new io.gitward.security.authz.ConcurrencyLimiter(
                        settings.limits().expensiveCallsPerIdentity(), 10_000));
        this.filter = new PeerAuthenticationFilter(credentials, registry);
        KeyMaterial key = credentials.keyMaterial();
        this.serverContext = key == null ? null : new ReloadableSslContext(TlsContexts.server(credentials, key,
                settings.flags().flags().clientAuth(), settings.provider()));
        this.httpServerContext = key == null ? null : new ReloadableSslContext(TlsContexts.httpServer(credentials, key,
                settings.flags().flags().clientAuth(), settings.provider()));
        this.callAudit = new CallAudit(audit, metrics);
        // Before the outbound channels' own listener: revoked peers are cut off first, the slower rebuild of the
        // client contexts comes after (no session is resumed in between, see DialedConnections#beforeClosing).
        credentials.onTrustChange(this::recheckConnections);
        this.outbound = new OutboundChannels(credentials, settings.provider(), () -> flags.get().flags(), this.tokens::get,
                dialed, workerGroup);
        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gitward-security-reload");
            thread.setDaemon(true);
            return thread;
        });
        credentials.onKeyMaterialChange(this::rebuildServerContext);
        this.watchedFiles = watch();
    }

    /**
     * Loads every file the settings name.
     *
     * @throws SecurityStartException naming the file and the problem; nothing was started
     */
    public static SecurityRuntime create(SecuritySettings settings, NodeKind kind, Clock clock)
            throws SecurityStartException {
        requireNonNull(settings, "settings");
        try {
            KeyMaterial key = settings.key() == null ? null : KeyMaterial.load(settings.key(), settings.certificateChain(),
                        settings.identityMode());
            TrustState trust = settings.domains().isEmpty()
                    ? new TrustState(new TrustMaterial(List.of()), settings.identityMode(),
                            settings.flags().flags().staleCrlFailsClosed(), 0)
                    : TrustLoader.load(settings.domains(), settings.identityMode(),
                            settings.flags().flags().staleCrlFailsClosed());
            Tokens tokens = settings.tokenFile() == null ? null : new Tokens(TokenSecret.load(settings.tokenFile()),
                    settings.tokenSkew(), clock, settings.replayCapacity());
            AuditLog audit = new AuditLog(settings.auditMaxKeys(), clock);
            try {
                audit.load(settings.auditFile());
            } catch (IOException e) {
                LOG.warn("audit history {} is unreadable ({}); the audit starts empty", settings.auditFile(), e.getMessage());
            }
            NodeCredentials credentials = new NodeCredentials(key, trust, new HandshakeFailures(), clock);
            return new SecurityRuntime(settings, kind, credentials, tokens, audit, clock);
        } catch (KeyMaterialException | PemException | IOException e) {
            throw new SecurityStartException(e.getMessage(), e);
        }
    }

    /** Starts the reload checks and the audit flush; logs the provider and every insecure setting. */
    public void start() {
        LOG.info("TLS provider: {}; phase {}; identity {}", settings.provider().describe(), flags.get().phase(),
                credentials.keyMaterial() == null ? "none" : credentials.keyMaterial());
        for (String warning : settings.insecureSettings()) {
            LOG.warn("INSECURE: {}", warning);
        }
        long interval = settings.reloadInterval().toMillis();
        background.scheduleWithFixedDelay(this::checkFiles, interval, interval, TimeUnit.MILLISECONDS);
        long flush = settings.auditFlushInterval().toMillis();
        background.scheduleWithFixedDelay(this::flushAudit, flush, flush, TimeUnit.MILLISECONDS);
    }

    /** Applies security, limits and connection tracking to a gRPC listener. */
    public NettyServerBuilder secure(NettyServerBuilder builder, boolean tls) {
        // Only the gRPC listeners that authenticate hand their connections to the test hook (as before).
        limit(builder, registry, tls, limitWatch, this::accepted)
                .addTransportFilter(filter)
                .intercept(interceptor)
                .fallbackHandlerRegistry(new io.gitward.security.authz.UnknownMethods());
        if (tls) {
            if (serverContext == null) {
                throw new IllegalStateException("a TLS listener needs this node's key and certificate");
            }
            builder.sslContext(serverContext);
        }
        return builder;
    }

    /**
     * Applies the limits, and nothing else, to the gRPC health listener: it stays outside TLS and authorization
     * (anyone may ask whether the node serves), but a peer that may do so without any credential is the one the
     * limits exist for. Its connections count against their own budget ({@link #trackedProbeChannels()}), and a
     * connection without calls is closed after {@code security.limits.idle-timeout}.
     */
    public NettyServerBuilder limitOnly(NettyServerBuilder builder) {
        return limit(builder, probeRegistry, false, probeLimitWatch, child -> { })
                .maxConnectionIdle(settings.limits().idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private NettyServerBuilder limit(NettyServerBuilder builder, ConnectionRegistry connections, boolean tls,
            LimitWatch watch, java.util.function.Consumer<io.netty.channel.socket.SocketChannel> onAccepted) {
        SecuritySettings.Limits limits = settings.limits();
        // A custom channel type (connection tracking) means gRPC wants the event loops from us too.
        return builder.channelFactory(TrackingServerSocketChannel.factory(connections, tls, onAccepted))
                .bossEventLoopGroup(bossGroup)
                .workerEventLoopGroup(workerGroup)
                .addTransportFilter(watch)
                .addStreamTracerFactory(watch.messageSizes())
                .handshakeTimeout(limits.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxConcurrentCallsPerConnection(limits.maxConcurrentStreams())
                .maxInboundMessageSize(limits.maxInboundMessageBytes())
                .maxInboundMetadataSize(limits.maxInboundMetadataBytes())
                .maxRstFramesPerWindow(limits.maxRstFrames(), (int) Math.max(1, limits.rstWindow().toSeconds()))
                .maxConnectionAge(limits.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * TEST HOOK, off by default and out of reach of configuration (no config key or environment variable sets it):
     * code that starts a node in its own JVM may pass a hook that sees every connection a gRPC listener accepts, while
     * the connection's pipeline is still empty, before gRPC and TLS set it up. The wire tests use it to record what a
     * node receives after TLS decryption (tests/.../wire/RecordingNode). Install it from
     * {@code NodeApplication.services}, before the listeners open; at most once. {@code gitward node} never calls it.
     */
    public void onAcceptedConnection(java.util.function.Consumer<io.netty.channel.socket.SocketChannel> hook) {
        requireNonNull(hook, "hook");
        synchronized (this) {
            if (acceptedConnectionHook != null) {
                throw new IllegalStateException("an accepted-connection hook is already installed");
            }
            acceptedConnectionHook = hook;
        }
        LOG.warn("TEST HOOK installed: every accepted gRPC connection is handed to {}", hook.getClass().getName());
    }

    private void accepted(io.netty.channel.socket.SocketChannel child) {
        java.util.function.Consumer<io.netty.channel.socket.SocketChannel> hook = acceptedConnectionHook;
        if (hook != null) {
            hook.accept(child);
        }
    }

    /**
     * Installs new flags (a phase change by reload): access policy, client-auth of new handshakes, outbound rules.
     * When client certificates become asked for (or required), new handshakes ask first, connections that have
     * none are told to reconnect, and only after they had a moment to do so does the stricter policy apply: a
     * client that can present a certificate never meets the new rules on a connection that could not.
     */
    public void applyFlags(EffectiveFlags next) {
        EffectiveFlags current = flags.get();
        boolean clientAuthChanged = current.flags().clientAuth() != next.flags().clientAuth();
        if (clientAuthChanged && credentials.keyMaterial() != null) {
            rebuildServerContext(credentials.keyMaterial(), next.flags().clientAuth());
            if (next.flags().clientAuth().ordinal() > current.flags().clientAuth().ordinal()) {
                List<String> drained = registry.drainWithoutClientCertificate(CONNECTION_DRAIN_GRACE);
                if (!drained.isEmpty()) {
                    LOG.info("client certificates are now {}: {} connection(s) without one asked to reconnect",
                            next.flags().clientAuth(), drained.size());
                    try {
                        Thread.sleep(RECONNECT_WAIT.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
        EffectiveFlags previous = flags.getAndSet(next);
        policy.set(new AccessPolicy(policy.get().scopes(), next.flags()));
        if (previous.flags().staleCrlFailsClosed() != next.flags().staleCrlFailsClosed()) {
            TrustState trust = credentials.trust();
            credentials.updateTrust(new TrustState(trust.material(), trust.identityMode(),
                    next.flags().staleCrlFailsClosed(), 0));
        }
        outbound.rebuildAll();
        LOG.info("security flags now phase {}: {}", next.phase(), next.values());
    }

    /** Checks the watched files once; also called by tests that do not want to wait for the next tick. */
    public void checkFiles() {
        for (WatchedFiles watched : watchedFiles) {
            try {
                watched.checkNow();
            } catch (RuntimeException e) {
                LOG.error("reload check failed; the current material stays in use", e);
            }
        }
    }

    private List<WatchedFiles> watch() {
        WatchedFiles key = new WatchedFiles("key", java.util.Arrays.asList(settings.key(), settings.certificateChain()),
                reloads, () -> {
                    KeyMaterial next = KeyMaterial.load(settings.key(), settings.certificateChain(),
                            settings.identityMode());
                    KeyMaterial current = credentials.keyMaterial();
                    if (current != null && !next.identity().equals(current.identity())) {
                        throw new KeyMaterialException(settings.certificateChain() + " now names " + next.identity()
                                + " instead of " + current.identity() + "; a node cannot change identity by reload");
                    }
                    if (next.sameAs(current)) {
                        // The set was published again with only its bundle or CRL changed: nothing to rebuild.
                        return "unchanged, still " + current;
                    }
                    credentials.updateKeyMaterial(next);
                    return "now " + next;
                });
        WatchedFiles trust = new WatchedFiles("trust", TrustLoader.files(settings.domains()), reloads, () -> {
            TrustState current = credentials.trust();
            TrustState next = TrustLoader.load(settings.domains(), current.identityMode(), current.staleCrlIsFatal());
            TrustLoader.requireNoRollback(current, next);
            return "trust bundles and CRLs, generation " + credentials.updateTrust(next).generation();
        });
        WatchedFiles tokenFile = new WatchedFiles("tokens", java.util.Arrays.asList(settings.tokenFile()), reloads, () -> {
            tokens.set(new Tokens(TokenSecret.load(settings.tokenFile()), settings.tokenSkew(), clock,
                    settings.replayCapacity()));
            return "the token file (secrets not logged)";
        });
        // Trust first: a new CRL (a revocation) is the most urgent change; a key from a new CA comes with or after
        // a bundle that trusts it, so loading the bundle first never hurts.
        return List.of(trust, key, tokenFile);
    }

    /**
     * Closes every connection whose peer certificate is now revoked: accepted ones by their client certificate,
     * dialed ones by their server certificate. Other changes (a CA removed from the bundle) apply to new
     * handshakes only; the maximum connection age bounds how long older ones live.
     */
    private void recheckConnections(TrustState trust) {
        List<String> closed = registry.closeWhere(chain -> notRevoked(chain, Purpose.TLS_CLIENT));
        if (!closed.isEmpty()) {
            LOG.warn("closed {} connection(s) of revoked certificates: {}", closed.size(), closed);
        }
        List<String> dialedClosed = dialed.closeWhere(chain -> notRevoked(chain, Purpose.TLS_SERVER));
        if (!dialedClosed.isEmpty()) {
            LOG.warn("closed {} connection(s) this node dialed to peers whose certificate is revoked: {}",
                    dialedClosed.size(), dialedClosed);
        }
    }

    private boolean notRevoked(List<java.security.cert.X509Certificate> chain, Purpose purpose) {
        try {
            credentials.validate(chain, purpose, false);
            return true;
        } catch (CertificateRejectedException e) {
            if (e.reason() != RejectReason.REVOKED) {
                return true;
            }
            LOG.warn("closing connection: {}", e.getMessage());
            return false;
        }
    }

    private void rebuildServerContext(KeyMaterial key) {
        rebuildServerContext(key, flags.get().flags().clientAuth());
    }

    private void rebuildServerContext(KeyMaterial key, io.netty.handler.ssl.ClientAuth clientAuth) {
        if (serverContext == null) {
            return;
        }
        try {
            // Both built before either is installed: gRPC and HTTP listeners never disagree on key or client-auth.
            io.netty.handler.ssl.SslContext grpc = TlsContexts.server(credentials, key, clientAuth, settings.provider());
            io.netty.handler.ssl.SslContext http = TlsContexts.httpServer(credentials, key, clientAuth, settings.provider());
            serverContext.swap(grpc);
            httpServerContext.swap(http);
        } catch (SSLException e) {
            reloads.failure("tls-context");
            LOG.error("cannot build a TLS context for {}; the previous one stays in use: {}", key, e.getMessage());
        }
    }

    private void flushAudit() {
        try {
            audit.save(settings.auditFile());
        } catch (IOException e) {
            LOG.warn("cannot save the audit to {}: {}", settings.auditFile(), e.getMessage());
        }
    }

    /**
     * The TLS context of HTTPS listeners: this node's current key, the phase's client-auth, ALPN h2 and
     * http/1.1; swapped together with the gRPC context on rotation and phase changes.
     *
     * @throws IllegalStateException when the node has no key and certificate
     */
    public io.netty.handler.ssl.SslContext httpServerContext() {
        if (httpServerContext == null) {
            throw new IllegalStateException("a TLS listener needs this node's key and certificate");
        }
        return httpServerContext;
    }

    /** The access policy in effect now (it changes with the flags). */
    public AccessPolicy policy() {
        return policy.get();
    }

    /** Where calls that are not gRPC (the HTTP operator endpoints) record their decisions: the same audit. */
    public CallAudit callAudit() {
        return callAudit;
    }

    /**
     * Server channels that count against {@code security.limits.max-connections} and can be cut on revocation.
     *
     * @param tls whether the listener's connections start with a TLS handshake
     */
    public io.netty.channel.ChannelFactory<io.netty.channel.ServerChannel> trackedServerChannels(boolean tls) {
        return TrackingServerSocketChannel.factory(registry, tls);
    }

    /**
     * Server channels of the health probe listeners: their own budget of {@code security.limits.max-connections},
     * so a flood there cannot lock authenticated peers out of the other listeners.
     */
    public io.netty.channel.ChannelFactory<io.netty.channel.ServerChannel> trackedProbeChannels() {
        return TrackingServerSocketChannel.factory(probeRegistry, false);
    }

    /** Connections of the health probe listeners. */
    public ConnectionRegistry probeConnections() {
        return probeRegistry;
    }

    /** How often each limit acted. */
    public LimitCounters limitCounters() {
        return limitCounters;
    }

    /** The event loops the gRPC listeners run on, shared by the node's other Netty listeners. */
    public EventLoopGroup bossGroup() {
        return bossGroup;
    }

    public EventLoopGroup workerGroup() {
        return workerGroup;
    }

    /**
     * The worker event loop the calling thread runs, if it runs one: a caller relaying between an accepted and a
     * dialed connection dials on this loop, so both ends of the relay stay on one thread.
     */
    public Optional<EventLoop> currentWorkerLoop() {
        for (EventExecutor executor : workerGroup) {
            if (executor.inEventLoop()) {
                return Optional.of((EventLoop) executor);
            }
        }
        return Optional.empty();
    }

    public NodeCredentials credentials() {
        return credentials;
    }

    public EffectiveFlags flags() {
        return flags.get();
    }

    public PhaseFlags phaseFlags() {
        return flags.get().flags();
    }

    public AuditLog audit() {
        return audit;
    }

    public SecurityMetrics metrics() {
        return metrics;
    }

    public ReloadCounters reloads() {
        return reloads;
    }

    public ConnectionRegistry connections() {
        return registry;
    }

    /** The connections this node dialed through {@link #outbound()} (or a dialer given it), cut on revocation. */
    public DialedConnections dialedConnections() {
        return dialed;
    }

    public OutboundChannels outbound() {
        return outbound;
    }

    public SecuritySettings settings() {
        return settings;
    }

    public NodeKind kind() {
        return kind;
    }

    public Tokens tokens() {
        return tokens.get();
    }

    @Override
    public void close() {
        background.shutdownNow();
        flushAudit();
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
