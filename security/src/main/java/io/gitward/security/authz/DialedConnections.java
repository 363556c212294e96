package io.gitward.security.authz;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Every connection this node dialed (the client side of its outbound gRPC channels), so the node can close
 * those whose server certificate is no longer valid — a peer revoked after the handshake must not keep serving
 * this node over a connection it opened earlier. The counterpart of {@link ConnectionRegistry}, which does the
 * same for accepted connections. Entries leave when their connection closes. Thread-safe.
 */
public final class DialedConnections {
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final List<Runnable> beforeClosing = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The socket channels outbound gRPC channels are built with: each registers itself here. */
    public ChannelFactory<Channel> factory() {
        return () -> {
            NioSocketChannel channel = new NioSocketChannel();
            channels.add(channel);
            channel.closeFuture().addListener(future -> channels.remove(channel));
            return channel;
        };
    }

    /**
     * Runs {@code hook} before connections are closed: a dialer makes its next handshakes full ones there, so the
     * re-dial that follows a close cannot resume the session of the connection just closed.
     */
    public void beforeClosing(Runnable hook) {
        beforeClosing.add(hook);
    }

    public int size() {
        return channels.size();
    }

    /**
     * Closes every TLS connection whose server chain {@code stillValid} refuses, at once and below HTTP/2: calls
     * on it fail, and the next call dials again (and meets the current trust).
     *
     * @return the remote addresses closed
     */
    public List<String> closeWhere(Predicate<List<X509Certificate>> stillValid) {
        List<Channel> refused = new ArrayList<>();
        for (Channel channel : channels) {
            List<X509Certificate> chain = ConnectionRegistry.peerChain(channel);
            if (chain != null && !stillValid.test(chain)) {
                refused.add(channel);
            }
        }
        if (!refused.isEmpty()) {
            beforeClosing.forEach(Runnable::run);
        }
        List<String> closed = new ArrayList<>();
        for (Channel channel : refused) {
            ConnectionRegistry.cut(channel);
            closed.add(ConnectionRegistry.describe(channel.remoteAddress()));
        }
        return closed;
    }
}
