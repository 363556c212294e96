package io.gitward.storage.access;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.x509.CertificateRejectedException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 over mutual TLS to the access-check endpoint, on Netty. The handshake presents this node's current
 * key and certificate and accepts the endpoint only if its chain is valid under the current trust (bundle, CRL)
 * AND its SPIFFE ID is the pinned one; hostnames are not checked (identity is not a DNS name) and nothing is
 * sent before that check passed. One {@link Generation} (TLS context plus its pool of kept-alive connections) per
 * key material and trust generation: after a rotation or a CRL/bundle change the next request builds a new one
 * and the old connections are closed, so rotation needs no restart and no request rides on a connection whose
 * peer was judged under the old trust. Sessions are never resumed. Thread-safe.
 */
final class AccessCheckClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessCheckClient.class);
    /** Largest answer read; a longer one is an error (the answer is a small JSON object). */
    static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final int MAX_IDLE = 8;
    private static final AttributeKey<CompletableFuture<Answer>> PENDING = AttributeKey.valueOf("gitward-access-check");
    private static final AttributeKey<Boolean> KEEP_ALIVE = AttributeKey.valueOf("gitward-access-check-keep-alive");

    /** The endpoint's answer. */
    record Answer(int status, byte[] body) {
    }

    /** No decision could be had: the message says why, naming the endpoint or the peer. */
    static final class ExchangeException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean closedBeforeAnswer;

        ExchangeException(String message, boolean closedBeforeAnswer) {
            super(message);
            this.closedBeforeAnswer = closedBeforeAnswer;
        }

        ExchangeException(String message) {
            this(message, false);
        }
    }

    private final URI url;
    private final String host;
    private final int port;
    private final NodeIdentity expected;
    private final NodeCredentials credentials;
    private final TlsProvider provider;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("gitward-access-check", true), NioIoHandler.newFactory());
    private Generation generation;

    AccessCheckClient(AccessCheckSettings settings, NodeCredentials credentials, TlsProvider provider) {
        this.url = requireNonNull(settings.url(), "url");
        this.host = url.getHost().startsWith("[") ? url.getHost().substring(1, url.getHost().length() - 1) : url.getHost();
        this.port = settings.port();
        this.expected = requireNonNull(settings.identity(), "identity");
        this.credentials = requireNonNull(credentials, "credentials");
        this.provider = requireNonNull(provider, "provider");
    }

    /** The endpoint, for messages: "https://host:port/path as spiffe://…". */
    String describe() {
        return url + " (" + expected + ")";
    }

    /**
     * POSTs {@code json} and returns the answer, all within {@code timeout}.
     *
     * @throws ExchangeException no answer: unreachable, refused handshake (wrong identity, revoked, …), timeout,
     *                           a malformed or oversized answer
     */
    Answer post(byte[] json, Duration timeout) throws ExchangeException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Generation current = current();
        Channel reused = current.takeIdle();
        if (reused != null) {
            try {
                return exchange(current, reused, json, deadline, timeout);
            } catch (ExchangeException e) {
                if (!e.closedBeforeAnswer) {
                    throw e;
                }
                // The endpoint closed a kept-alive connection as the request went out: once more, on a new one.
            }
        }
        return exchange(current, connect(current, deadline, timeout), json, deadline, timeout);
    }

    private synchronized Generation current() throws ExchangeException {
        KeyMaterial key = credentials.keyMaterial();
        if (key == null) {
            throw new ExchangeException("this node has no certificate to present (security.tls.key is not loaded)");
        }
        long trust = credentials.trust().generation();
        if (generation != null && generation.key == key && generation.trust == trust) {
            return generation;
        }
        SslContext context;
        try {
            context = TlsContexts.httpClient(credentials, key, expected, provider);
        } catch (SSLException e) {
            if (generation != null) {
                LOG.error("access check: cannot build a TLS context for {}; the previous one stays in use: {}", key,
                        e.getMessage());
                return generation;
            }
            throw new ExchangeException("cannot build the TLS context for " + key + ": " + e.getMessage());
        }
        Generation previous = generation;
        generation = new Generation(key, trust, context);
        if (previous != null) {
            previous.retire();
            LOG.info("access check: new TLS material (key {}, trust generation {}); older connections closed", key, trust);
        }
        return generation;
    }

    private Channel connect(Generation current, long deadline, Duration timeout) throws ExchangeException,
            InterruptedException {
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, remainingMillis(deadline)))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        // No peer host and port for the engine: no session cache entry, so no resumption.
                        SslHandler tls = current.context.newHandler(channel.alloc());
                        tls.setHandshakeTimeoutMillis(Math.max(1, remainingMillis(deadline)));
                        if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
                            SSLParameters parameters = tls.engine().getSSLParameters();
                            parameters.setServerNames(List.of(new SNIHostName(host)));
                            tls.engine().setSSLParameters(parameters);
                        }
                        channel.pipeline().addLast(tls, new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER_BYTES),
                                new AnswerHandler());
                    }
                });
        ChannelFuture connected = bootstrap.connect(host, port);
        await(connected, deadline, timeout, "connecting");
        if (!connected.isSuccess()) {
            Throwable cause = connected.cause();
            String why = cause instanceof ConnectException ? "connection refused" : String.valueOf(cause.getMessage());
            throw new ExchangeException("cannot connect to " + host + ":" + port + ": " + why);
        }
        Channel channel = connected.channel();
        Future<Channel> handshake = channel.pipeline().get(SslHandler.class).handshakeFuture();
        await(handshake, deadline, timeout, "in the TLS handshake");
        if (!handshake.isSuccess()) {
            channel.close();
            throw new ExchangeException(handshakeFailure(handshake.cause()));
        }
        return channel;
    }

    private String handshakeFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CertificateRejectedException rejected) {
                return "the endpoint at " + host + ":" + port + " is not " + expected + ": " + rejected.getMessage();
            }
        }
        return "TLS handshake with " + host + ":" + port + " failed (expected " + expected + "): " + cause.getMessage();
    }

    private Answer exchange(Generation current, Channel channel, byte[] json, long deadline, Duration timeout)
            throws ExchangeException, InterruptedException {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        channel.attr(PENDING).set(answer);
        String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            target += "?" + url.getRawQuery();
        }
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target,
                Unpooled.wrappedBuffer(json));
        request.headers().set(HttpHeaderNames.HOST, url.getRawAuthority())
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.USER_AGENT, "gitward-storage")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
        channel.writeAndFlush(request).addListener(written -> {
            if (!written.isSuccess()) {
                answer.completeExceptionally(new ExchangeException("sending to " + host + ":" + port + " failed: "
                        + written.cause().getMessage(), true));
            }
        });
        try {
            Answer received = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            current.release(channel);
            return received;
        } catch (TimeoutException e) {
            channel.close();
            throw new ExchangeException("no answer from " + host + ":" + port + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            channel.close();
            if (e.getCause() instanceof ExchangeException exchange) {
                throw exchange;
            }
            throw new ExchangeException("reading the answer from " + host + ":" + port + " failed: "
                    + e.getCause().getMessage());
        }
    }

    private void await(Future<?> future, long deadline, Duration timeout, String stage) throws ExchangeException,
            InterruptedException {
        if (!future.await(Math.max(1, remainingMillis(deadline)))) {
            future.cancel(false);
            if (future instanceof ChannelFuture channelFuture) {
                channelFuture.channel().close();
            }
            throw new ExchangeException("no answer from " + host + ":" + port + " within " + timeout.toMillis() + " ms ("
                    + stage + ")");
        }
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    @Override
    public void close() {
        synchronized (this) {
            if (generation != null) {
                generation.retire();
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One TLS context and the connections made with it. */
    private static final class Generation {
        private final KeyMaterial key;
        private final long trust;
        private final SslContext context;
        private final Deque<Channel> idle = new ArrayDeque<>();
        private boolean retired;

        Generation(KeyMaterial key, long trust, SslContext context) {
            this.key = key;
            this.trust = trust;
            this.context = context;
        }

        synchronized Channel takeIdle() {
            for (Channel channel = idle.pollFirst(); channel != null; channel = idle.pollFirst()) {
                if (channel.isActive()) {
                    return channel;
                }
            }
            return null;
        }

        /** Keeps a connection for the next request, unless this generation is over or the pool is full. */
        void release(Channel channel) {
            synchronized (this) {
                if (!retired && channel.isActive() && channel.attr(KEEP_ALIVE).get() == Boolean.TRUE
                        && idle.size() < MAX_IDLE) {
                    idle.addFirst(channel);
                    return;
                }
            }
            channel.close();
        }

        synchronized void retire() {
            retired = true;
            idle.forEach(Channel::close);
            idle.clear();
        }
    }

    /** Completes the pending request with the aggregated answer, or fails it when the connection breaks first. */
    private final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpResponse response) {
            CompletableFuture<Answer> pending = context.channel().attr(PENDING).getAndSet(null);
            if (pending == null) {
                context.close(); // an answer nobody asked for: this connection is out of step
                return;
            }
            if (response.decoderResult().isFailure()) {
                pending.completeExceptionally(new ExchangeException("the answer from " + host + ":" + port
                        + " is not valid HTTP/1.1: " + response.decoderResult().cause().getMessage()));
                context.close();
                return;
            }
            context.channel().attr(KEEP_ALIVE).set(HttpUtil.isKeepAlive(response));
            pending.complete(new Answer(response.status().code(), ByteBufUtil.getBytes(response.content())));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            CompletableFuture<Answer> pending = context.channel().attr(PENDING).getAndSet(null);
            if (pending != null) {
                String why = cause instanceof io.netty.handler.codec.TooLongFrameException
                        ? "the answer is larger than " + MAX_ANSWER_BYTES + " bytes" : String.valueOf(cause.getMessage());
                pending.completeExceptionally(new ExchangeException("reading the answer from " + host + ":" + port
                        + " failed: " + why));
            }
            context.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) throws Exception {
            CompletableFuture<Answer> pending = context.channel().attr(PENDING).getAndSet(null);
            if (pending != null) {
                pending.completeExceptionally(new ExchangeException(host + ":" + port
                        + " closed the connection before answering", true));
            }
            super.channelInactive(context);
        }
    }
}
