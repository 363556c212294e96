package io.gitward.security.authz;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
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

    public ConnectionRegistry(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    /** Registers an accepted connection; returns false (the caller closes it) when the limit is reached. */
    boolean register(Channel channel) {
        if (channels.size() >= maxConnections) {
            return false;
        }
        SocketAddress remote = channel.remoteAddress();
        channels.put(remote, channel);
        channel.closeFuture().addListener(future -> channels.remove(remote, channel));
        return true;
    }

    public int size() {
        return channels.size();
    }

    /** Closes the connection from {@code remote}, if it is one of ours. */
    public void close(SocketAddress remote) {
        Channel channel = channels.get(remote);
        if (channel != null) {
            channel.close();
        }
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
                channel.close();
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
