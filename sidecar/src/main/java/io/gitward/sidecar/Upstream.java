package io.gitward.sidecar;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Where requests go: the local app (plaintext) or the pinned peer (mutual TLS), over HTTP/1.1 or HTTP/2. Hands out
 * one channel per request that takes and yields Netty {@code HttpObject}s: an HTTP/2 stream of a shared connection,
 * or an HTTP/1.1 connection kept for reuse. {@link #retire()} (the sidecar's key rotated) makes later requests use
 * new connections, with the context {@code tls} gives then, while requests in flight finish on the old ones.
 * Thread-safe.
 */
abstract class Upstream implements AutoCloseable {
    /** How long a retired HTTP/2 connection's streams may still run before it is closed. */
    static final Duration RETIRE_GRACE = Duration.ofSeconds(60);

    final String name;
    final InetSocketAddress address;
    final Supplier<SslContext> tls;
    final EventLoopGroup group;
    final Duration connectTimeout;
    final ChannelGroup connections;
    volatile long generation;

    Upstream(String name, InetSocketAddress address, Supplier<SslContext> tls, EventLoopGroup group,
            Duration connectTimeout) {
        this.name = requireNonNull(name, "name");
        this.address = requireNonNull(address, "address");
        this.tls = tls;
        this.group = requireNonNull(group, "group");
        this.connectTimeout = requireNonNull(connectTimeout, "connectTimeout");
        this.connections = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
    }

    static Upstream http1(String name, InetSocketAddress address, Supplier<SslContext> tls, EventLoopGroup group,
            Duration connectTimeout) {
        return new Http1(name, address, tls, group, connectTimeout);
    }

    static Upstream http2(String name, InetSocketAddress address, Supplier<SslContext> tls, EventLoopGroup group,
            Duration connectTimeout) {
        return new Http2(name, address, tls, group, connectTimeout);
    }

    /** Whether requests travel as HTTP/2 streams. */
    abstract boolean http2();

    /** A channel for one request; fails when the target cannot be reached or refuses the TLS handshake. */
    abstract Future<Channel> acquire();

    /** Gives back a request's channel; {@code reusable} when the exchange ended cleanly and may be followed by another. */
    abstract void release(Channel channel, boolean reusable);

    /** Later requests use new connections; open ones finish what they carry, then close. */
    void retire() {
        generation++;
    }

    /** Closes every connection whose server certificate {@code stillValid} refuses (a peer revoked since). */
    List<String> closeWhere(Predicate<List<X509Certificate>> stillValid) {
        List<String> closed = new ArrayList<>();
        for (Channel connection : connections) {
            List<X509Certificate> chain = serverChain(connection);
            if (chain != null && !stillValid.test(chain)) {
                // At once, below the HTTP/2 codec: close() would be a graceful GOAWAY that lets a revoked peer's
                // open streams run on for the whole RETIRE_GRACE. Streams are cancelled by the inactive event.
                connection.eventLoop().execute(() -> connection.unsafe().close(connection.unsafe().voidPromise()));
                closed.add(String.valueOf(connection.remoteAddress()));
            }
        }
        return closed;
    }

    @Override
    public void close() {
        connections.close().awaitUninterruptibly(2_000);
    }

    /** Connects, and completes once TCP and (with TLS) the handshake succeeded. */
    Future<Channel> connect(java.util.function.Consumer<Channel> protocol) {
        Promise<Channel> ready = GlobalEventExecutor.INSTANCE.newPromise();
        SslContext context = tls == null ? null : tls.get();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (context != null) {
                            // No peer host: sessions are never resumed past a change of trust or key.
                            SslHandler ssl = context.newHandler(channel.alloc());
                            ssl.setHandshakeTimeoutMillis(connectTimeout.toMillis());
                            channel.pipeline().addLast("tls", ssl);
                        }
                        protocol.accept(channel);
                        channel.pipeline().addLast("errors", new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                });
        ChannelFuture connected = bootstrap.connect(address);
        connected.addListener(done -> {
            if (!done.isSuccess()) {
                ready.tryFailure(new java.io.IOException(name + " at " + address.getHostString() + ":" + address.getPort()
                        + " cannot be reached: " + done.cause().getMessage(), done.cause()));
                return;
            }
            Channel channel = connected.channel();
            connections.add(channel);
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                ready.trySuccess(channel);
                return;
            }
            ssl.handshakeFuture().addListener(handshake -> {
                if (handshake.isSuccess()) {
                    ready.trySuccess(channel);
                } else {
                    channel.close();
                    ready.tryFailure(new java.io.IOException(name + " at " + address.getHostString() + ":"
                            + address.getPort() + " refused in the TLS handshake: " + handshake.cause().getMessage(),
                            handshake.cause()));
                }
            });
        });
        return ready;
    }

    static List<X509Certificate> serverChain(Channel connection) {
        SslHandler ssl = connection.pipeline().get(SslHandler.class);
        if (ssl == null || !ssl.handshakeFuture().isSuccess()) {
            return null;
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : ssl.engine().getSession().getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** HTTP/1.1: one request at a time per connection; idle connections of the current generation are reused. */
    private static final class Http1 extends Upstream {
        private static final int MAX_IDLE = 32;
        private final Deque<Channel> idle = new ConcurrentLinkedDeque<>();
        private final io.netty.util.AttributeKey<Long> generationKey = io.netty.util.AttributeKey.valueOf("generation");

        Http1(String name, InetSocketAddress address, Supplier<SslContext> tls, EventLoopGroup group,
                Duration connectTimeout) {
            super(name, address, tls, group, connectTimeout);
        }

        @Override
        boolean http2() {
            return false;
        }

        @Override
        Future<Channel> acquire() {
            for (Channel channel = idle.pollFirst(); channel != null; channel = idle.pollFirst()) {
                if (channel.isActive() && channel.attr(generationKey).get() == generation) {
                    return GlobalEventExecutor.INSTANCE.newSucceededFuture(channel);
                }
                channel.close();
            }
            long current = generation;
            Future<Channel> connected = connect(channel -> channel.pipeline().addLast("http1", new HttpClientCodec()));
            connected.addListener(done -> {
                if (done.isSuccess()) {
                    connected.getNow().attr(generationKey).set(current);
                }
            });
            return connected;
        }

        @Override
        void release(Channel channel, boolean reusable) {
            Long of = channel.attr(generationKey).get();
            if (reusable && channel.isActive() && of != null && of == generation && idle.size() < MAX_IDLE) {
                idle.offerFirst(channel);
            } else {
                channel.close();
            }
        }

        @Override
        void retire() {
            super.retire();
            for (Channel channel = idle.pollFirst(); channel != null; channel = idle.pollFirst()) {
                channel.close();
            }
        }
    }

    /** HTTP/2: one shared connection, a stream per request; a retired connection ends with GOAWAY once idle. */
    private static final class Http2 extends Upstream {
        private final AtomicReference<Future<Channel>> current = new AtomicReference<>();

        Http2(String name, InetSocketAddress address, Supplier<SslContext> tls, EventLoopGroup group,
                Duration connectTimeout) {
            super(name, address, tls, group, connectTimeout);
        }

        @Override
        boolean http2() {
            return true;
        }

        @Override
        Future<Channel> acquire() {
            Promise<Channel> stream = GlobalEventExecutor.INSTANCE.newPromise();
            connection().addListener(done -> {
                if (!done.isSuccess()) {
                    stream.tryFailure(done.cause());
                    return;
                }
                Channel parent = (Channel) done.getNow();
                new Http2StreamChannelBootstrap(parent).handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel channel) {
                        channel.pipeline().addLast("http", new Http2StreamFrameToHttpObjectCodec(false));
                    }
                }).open().addListener(opened -> {
                    if (opened.isSuccess()) {
                        stream.trySuccess((Channel) opened.getNow());
                    } else {
                        stream.tryFailure(opened.cause());
                    }
                });
            });
            return stream;
        }

        /** The current connection, or a new one when there is none, it failed, closed, or the peer sent GOAWAY. */
        private Future<Channel> connection() {
            while (true) {
                Future<Channel> existing = current.get();
                if (existing != null && (!existing.isDone() || usable(existing))) {
                    return existing;
                }
                Promise<Channel> next = GlobalEventExecutor.INSTANCE.newPromise();
                if (current.compareAndSet(existing, next)) {
                    if (existing != null && existing.isSuccess()) {
                        retireConnection(existing.getNow());
                    }
                    connect(this::http2Pipeline).addListener(done -> {
                        if (done.isSuccess()) {
                            Channel channel = (Channel) done.getNow();
                            String protocol = protocolOf(channel);
                            if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                channel.close();
                                next.tryFailure(new java.io.IOException(name + " did not agree to HTTP/2 (ALPN: "
                                        + protocol + ")"));
                                return;
                            }
                            next.trySuccess(channel);
                        } else {
                            next.tryFailure(done.cause());
                        }
                    });
                    return next;
                }
            }
        }

        private String protocolOf(Channel channel) {
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                return ApplicationProtocolNames.HTTP_2;
            }
            return ssl.applicationProtocol();
        }

        private static boolean usable(Future<Channel> future) {
            if (!future.isSuccess()) {
                return false;
            }
            Channel channel = future.getNow();
            Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
            return channel.isActive() && codec != null && !codec.connection().goAwayReceived()
                    && !codec.connection().goAwaySent();
        }

        private void http2Pipeline(Channel channel) {
            channel.pipeline().addLast("http2", Http2FrameCodecBuilder.forClient()
                    .initialSettings(Http2Settings.defaultSettings())
                    // Streams over the peer's limit wait for a free slot instead of failing.
                    .encoderEnforceMaxConcurrentStreams(true)
                    .gracefulShutdownTimeoutMillis(RETIRE_GRACE.toMillis())
                    .build());
            channel.pipeline().addLast("streams", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        }

        @Override
        void release(Channel channel, boolean reusable) {
            // A finished stream closes itself; an unfinished one is reset, the connection stays.
            if (!reusable && channel.isActive()) {
                channel.close();
            }
        }

        @Override
        void retire() {
            super.retire();
            Future<Channel> old = current.getAndSet(null);
            if (old != null) {
                old.addListener(done -> {
                    if (done.isSuccess()) {
                        retireConnection((Channel) done.getNow());
                    }
                });
            }
        }

        /** GOAWAY now; the connection closes when its last stream ends, at the latest after the grace. */
        private static void retireConnection(Channel channel) {
            channel.close();
        }
    }
}
