package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One bound HTTP listener: a Netty server channel and the connections it accepted, so closing the listener
 * (shutdown, or the phase closing plaintext) also ends its open connections. Thread-safe.
 */
public final class HttpListener implements AutoCloseable {
    private final String name;
    private final Channel server;
    private final ChannelGroup connections;

    private HttpListener(String name, Channel server, ChannelGroup connections) {
        this.name = name;
        this.server = server;
        this.connections = connections;
    }

    /**
     * Binds {@code address} and sets up every accepted connection with {@code setup}.
     *
     * @throws IOException when the address cannot be bound (the cause says why)
     */
    static HttpListener bind(String name, InetSocketAddress address, EventLoopGroup boss, EventLoopGroup workers,
            io.netty.channel.ChannelFactory<? extends ServerChannel> channels, Consumer<Channel> setup) throws IOException {
        requireNonNull(setup, "setup");
        ChannelGroup connections = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channelFactory(channels)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        connections.add(channel);
                        setup.accept(channel);
                    }
                });
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IOException(cause == null ? "bind failed" : cause.getMessage(), cause);
        }
        return new HttpListener(name, bound.channel(), connections);
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /**
     * Stops accepting, then closes the open connections (HTTP/2 ones with a GOAWAY), waiting up to {@code grace}.
     */
    public void close(Duration grace) {
        server.close().awaitUninterruptibly(grace.toMillis());
        connections.close().awaitUninterruptibly(grace.toMillis());
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
