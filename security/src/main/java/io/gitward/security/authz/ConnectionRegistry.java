package io.gitward.security.authz;

import io.gitward.security.audit.LimitCounters;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.RejectReason;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Every accepted connection of a node's listeners, so the node can close those whose peer certificate is
 * no longer valid (grpc-java has no public hook for that). Fed by {@link TrackingServerSocketChannel};
 * bounded by the connection limit it enforces. At the limit, peers that have not finished their TLS handshake
 * give way: the oldest of them is closed to admit the newcomer, so unauthenticated peers that open connections
 * and never finish them cannot lock out the ones that do. Thread-safe.
 */
public final class ConnectionRegistry {
    private static final AttributeKey<Long> ACCEPTED = AttributeKey.valueOf("gitward.accepted-nanos");
    private static final AttributeKey<Boolean> TLS = AttributeKey.valueOf("gitward.tls-listener");
    private static final AttributeKey<Boolean> EVICTED = AttributeKey.valueOf("gitward.evicted");

    private final Map<SocketAddress, Channel> channels = new ConcurrentHashMap<>();
    private final int maxConnections;
    private final HandshakeFailures failures;
    private final LimitCounters counters;
    private final long handshakeTimeoutNanos;

    /**
     * @param handshakeTimeout the listeners' {@code security.limits.handshake-timeout}: a connection closed in its
     *                         handshake after that long was closed by it
     */
    public ConnectionRegistry(int maxConnections, HandshakeFailures failures, LimitCounters counters,
            java.time.Duration handshakeTimeout) {
        this.maxConnections = maxConnections;
        this.failures = failures;
        this.counters = counters;
        this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
    }

    /**
     * Registers an accepted connection; at the limit it first closes the oldest connection still in its TLS
     * handshake, and returns false (the caller closes the new one) when there is none.
     *
     * @param tls whether {@code channel} came from a TLS listener
     */
    boolean register(Channel channel, boolean tls) {
        if (channels.size() >= maxConnections) {
            if (!evictOldestPendingHandshake()) {
                counters.record(LimitCounters.Limit.MAX_CONNECTIONS);
                return false;
            }
            counters.record(LimitCounters.Limit.PENDING_HANDSHAKE_EVICTED);
        }
        channel.attr(ACCEPTED).set(System.nanoTime());
        channel.attr(TLS).set(tls);
        SocketAddress remote = channel.remoteAddress();
        channels.put(remote, channel);
        channel.closeFuture().addListener(future -> {
            channels.remove(remote, channel);
            countFailedHandshake(channel);
        });
        return true;
    }

    /**
     * Counts handshakes that failed before a certificate reached this node's trust manager (no client
     * certificate, protocol errors, timeouts); refusals by the trust manager were counted there already.
     */
    private void countFailedHandshake(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl != null && !ssl.handshakeFuture().isDone()) {
            countUnfinishedHandshake(channel);
            return;
        }
        if (ssl == null || ssl.handshakeFuture().isSuccess()) {
            return;
        }
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = ssl.handshakeFuture().cause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateRejectedException) {
                return;
            }
            messages.append(cause.getClass().getSimpleName()).append(' ').append(cause.getMessage()).append('\n');
        }
        String text = messages.toString().toLowerCase(Locale.ROOT);
        if (text.contains("certificate_verify_failed") || text.contains("certificate_unknown")) {
            return;
        }
        if (text.contains("key_usage_bit_incorrect")) {
            // BoringSSL checks the leaf's key usage itself, before our trust manager sees the chain.
            failures.record(RejectReason.KEY_USAGE);
        } else if (text.contains("peer_did_not_return_a_certificate") || text.contains("empty client certificate chain")
                || text.contains("certificate required") || text.contains("certificate_required")) {
            failures.record(HandshakeFailures.Transport.NO_CLIENT_CERTIFICATE);
        } else if (text.contains("timeout") || text.contains("timed out")) {
            failures.record(HandshakeFailures.Transport.TIMEOUT);
        } else {
            failures.record(HandshakeFailures.Transport.PROTOCOL);
        }
    }

    /**
     * Closes the connection that has waited longest in an unfinished TLS handshake; false when no connection is
     * in one. Plaintext connections (they may carry token-authenticated callers in phases 0-4) and finished
     * handshakes (authenticated or not) are never chosen: a peer that completed its handshake is dealt with by
     * authorization, not by this limit.
     */
    private boolean evictOldestPendingHandshake() {
        Map.Entry<SocketAddress, Channel> oldest = null;
        long oldestAccepted = 0;
        for (Map.Entry<SocketAddress, Channel> entry : channels.entrySet()) {
            Long accepted = entry.getValue().attr(ACCEPTED).get();
            if (accepted != null && (oldest == null || accepted - oldestAccepted < 0) && handshakePending(entry.getValue())) {
                oldest = entry;
                oldestAccepted = accepted;
            }
        }
        if (oldest == null || !channels.remove(oldest.getKey(), oldest.getValue())) {
            return false;
        }
        oldest.getValue().attr(EVICTED).set(true);
        cut(oldest.getValue());
        return true;
    }

    /**
     * grpc-java's handshake timeout closes the connection without failing the TLS handshake, so a connection that
     * ends in its handshake after the timeout (and was not evicted) counts as a timeout. One that ends sooner was
     * given up by its peer, which is no failure of ours.
     */
    private void countUnfinishedHandshake(Channel channel) {
        Long accepted = channel.attr(ACCEPTED).get();
        if (accepted != null && !Boolean.TRUE.equals(channel.attr(EVICTED).get())
                && System.nanoTime() - accepted >= handshakeTimeoutNanos) {
            failures.record(HandshakeFailures.Transport.TIMEOUT);
        }
    }

    /** A connection of a TLS listener whose handshake has not finished (or, on a busy node, not even started). */
    private static boolean handshakePending(Channel channel) {
        if (!Boolean.TRUE.equals(channel.attr(TLS).get())) {
            return false;
        }
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        return ssl == null || !ssl.handshakeFuture().isDone();
    }

    /** The open connection from {@code remote}, or null. */
    Channel channel(SocketAddress remote) {
        return remote == null ? null : channels.get(remote);
    }

    public int size() {
        return channels.size();
    }

    /** Cuts the connection from {@code remote}, if it is one of ours. */
    public void close(SocketAddress remote) {
        Channel channel = channels.get(remote);
        if (channel != null) {
            cut(channel);
        }
    }

    /**
     * Closes the socket at once, below the HTTP/2 handler: a plain {@code close()} would become a graceful
     * GOAWAY that lets open streams of a revoked peer run on. Streams are cancelled by the inactive event.
     */
    static void cut(Channel channel) {
        channel.eventLoop().execute(() -> channel.unsafe().close(channel.unsafe().voidPromise()));
    }

    /**
     * Gracefully retires every TLS connection that presented no client certificate: a connection keeps what its
     * handshake had, so after the node starts asking for certificates those clients must reconnect to present
     * one. First a GOAWAY that lets no new stream start (clients open a new connection for their next call, none
     * fails), then, after {@code grace}, the close, which waits for streams still running.
     *
     * @return the remote addresses retired
     */
    public List<String> drainWithoutClientCertificate(java.time.Duration grace) {
        List<String> drained = new ArrayList<>();
        for (Channel channel : channels.values()) {
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl != null && ssl.handshakeFuture().isSuccess() && peerChain(channel) == null) {
                drain(channel, grace);
                drained.add(describe(channel.remoteAddress()));
            }
        }
        return drained;
    }

    private static void drain(Channel channel, java.time.Duration grace) {
        channel.eventLoop().execute(() -> {
            Http2ConnectionHandler http2 = channel.pipeline().get(Http2ConnectionHandler.class);
            if (http2 != null) {
                ChannelHandlerContext context = channel.pipeline().context(http2);
                // The largest stream id: streams the client is opening right now still run; it opens no more.
                http2.goAway(context, Integer.MAX_VALUE, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                        context.newPromise());
            }
            channel.eventLoop().schedule(() -> channel.close(), grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        });
    }

    /**
     * Closes every TLS connection whose peer chain {@code stillValid} refuses.
     *
     * @return the remote addresses closed
     */
    public List<String> closeWhere(Predicate<List<X509Certificate>> stillValid) {
        List<String> closed = new ArrayList<>();
        for (Channel channel : channels.values()) {
            List<X509Certificate> chain = peerChain(channel);
            if (chain != null && !stillValid.test(chain)) {
                cut(channel);
                closed.add(describe(channel.remoteAddress()));
            }
        }
        return closed;
    }

    /** The verified peer chain of a finished TLS handshake, or null (plaintext, no certificate, still handshaking). */
    static List<X509Certificate> peerChain(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null || !ssl.handshakeFuture().isSuccess()) {
            return null;
        }
        SSLSession session = ssl.engine().getSession();
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : session.getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
