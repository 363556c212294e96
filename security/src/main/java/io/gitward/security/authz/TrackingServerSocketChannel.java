package io.gitward.security.authz;

import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.List;
import java.util.function.Consumer;

/**
 * A server socket channel that reports each accepted connection to a {@link ConnectionRegistry} (and
 * closes it at once when the connection limit is reached), before gRPC sets up its pipeline.
 */
public final class TrackingServerSocketChannel extends NioServerSocketChannel {
    private final ConnectionRegistry registry;
    private final boolean tls;
    private final Consumer<SocketChannel> onAccepted;

    TrackingServerSocketChannel(ConnectionRegistry registry, boolean tls, Consumer<SocketChannel> onAccepted) {
        this.registry = registry;
        this.tls = tls;
        this.onAccepted = onAccepted;
    }

    /** @param tls whether the listener's connections start with a TLS handshake (those may give way at the limit) */
    public static ChannelFactory<ServerChannel> factory(ConnectionRegistry registry, boolean tls) {
        return factory(registry, tls, child -> { });
    }

    /**
     * Like {@link #factory(ConnectionRegistry, boolean)}; {@code onAccepted} also sees each registered connection
     * while its pipeline is still empty (see {@code SecurityRuntime.onAcceptedConnection}, a test hook).
     */
    public static ChannelFactory<ServerChannel> factory(ConnectionRegistry registry, boolean tls,
            Consumer<SocketChannel> onAccepted) {
        return () -> new TrackingServerSocketChannel(registry, tls, onAccepted);
    }

    @Override
    protected int doReadMessages(List<Object> buffer) throws Exception {
        int before = buffer.size();
        int accepted = super.doReadMessages(buffer);
        for (int i = buffer.size() - 1; i >= before; i--) {
            SocketChannel child = (SocketChannel) buffer.get(i);
            if (!registry.register(child, tls)) {
                buffer.remove(i);
                child.unsafe().closeForcibly();
                accepted--;
            } else {
                onAccepted.accept(child);
            }
        }
        return accepted;
    }
}
