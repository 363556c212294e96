package io.gitward.security.authz;

import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.List;

/**
 * A server socket channel that reports each accepted connection to a {@link ConnectionRegistry} (and
 * closes it at once when the connection limit is reached), before gRPC sets up its pipeline.
 */
public final class TrackingServerSocketChannel extends NioServerSocketChannel {
    private final ConnectionRegistry registry;
    private final boolean tls;

    TrackingServerSocketChannel(ConnectionRegistry registry, boolean tls) {
        this.registry = registry;
        this.tls = tls;
    }

    /** @param tls whether the listener's connections start with a TLS handshake (those may give way at the limit) */
    public static ChannelFactory<ServerChannel> factory(ConnectionRegistry registry, boolean tls) {
        return () -> new TrackingServerSocketChannel(registry, tls);
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
            }
        }
        return accepted;
    }
}
