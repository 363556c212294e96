package io.gitward.security.authz;

import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.RejectReason;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.ssl.SslHandler;
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
 * bounded by the connection limit it enforces. Thread-safe.
 */
public final class ConnectionRegistry {
    private final Map<SocketAddress, Channel> channels = new ConcurrentHashMap<>();
    private final int maxConnections;
    private final HandshakeFailures failures;

    public ConnectionRegistry(int maxConnections, HandshakeFailures failures) {
        this.maxConnections = maxConnections;
        this.failures = failures;
    }

    /** Registers an accepted connection; returns false (the caller closes it) when the limit is reached. */
    boolean register(Channel channel) {
        if (channels.size() >= maxConnections) {
            return false;
        }
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
        if (ssl == null || !ssl.handshakeFuture().isDone() || ssl.handshakeFuture().isSuccess()) {
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
