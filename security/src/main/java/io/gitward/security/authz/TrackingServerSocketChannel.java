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

    TrackingServerSocketChannel(ConnectionRegistry registry) {
        this.registry = registry;
    }

    public static ChannelFactory<ServerChannel> factory(ConnectionRegistry registry) {
        return () -> new TrackingServerSocketChannel(registry);
    }

    @Override
    protected int doReadMessages(List<Object> buffer) throws Exception {
        int before = buffer.size();
        int accepted = super.doReadMessages(buffer);
        for (int i = buffer.size() - 1; i >= before; i--) {
            SocketChannel child = (SocketChannel) buffer.get(i);
            if (!registry.register(child)) {
                buffer.remove(i);
                child.unsafe().closeForcibly();
                accepted--;
            }
        }
        return accepted;
    }
}
