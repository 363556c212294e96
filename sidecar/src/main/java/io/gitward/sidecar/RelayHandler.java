package io.gitward.sidecar;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays the requests of one caller's HTTP/1.1 connection, or of one HTTP/2 stream, to an {@link Upstream} and the
 * answers back, as Netty {@code HttpObject}s: headers, body parts and trailers in order, in both directions at once
 * (gRPC streaming), with flow control: a side stops reading while the other cannot take more (for HTTP/2 that
 * withholds the stream's window updates). Requests on one HTTP/1.1 connection are relayed one after another. State
 * lives on the caller's event loop; events of the upstream channel are handed over to it.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RelayHandler.class);

    private final RequestPolicy policy;
    private final Function<Boolean, Upstream> upstreams;
    private ChannelHandlerContext ctx;
    private boolean http2;
    private Exchange current;
    /** HTTP/1.1 requests that arrived while the previous one was still answered (pipelining). */
    private final Deque<Object> queued = new ArrayDeque<>();

    /** @param upstreams the upstream for a caller speaking HTTP/2 (true) or HTTP/1.1 (false) */
    RelayHandler(RequestPolicy policy, Function<Boolean, Upstream> upstreams) {
        this.policy = requireNonNull(policy, "policy");
        this.upstreams = requireNonNull(upstreams, "upstreams");
    }

    /** One request and its answer. */
    private final class Exchange {
        final HttpRequest request;
        final Upstream upstream;
        final boolean keepAlive;
        final List<Object> pending = new ArrayList<>();
        Channel stream;
        boolean requestDone;
        boolean responseStarted;
        boolean responseDone;
        boolean upstreamKeepAlive = true;
        /** The sidecar answered itself: the rest of the request body is dropped. */
        boolean discarding;
        /** Dropping an informational (1xx) answer's end. */
        boolean skippingInformational;
        boolean ended;

        Exchange(HttpRequest request, Upstream upstream, boolean keepAlive) {
            this.request = request;
            this.upstream = upstream;
            this.keepAlive = keepAlive;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.http2 = context.channel() instanceof Http2StreamChannel;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        if (!queued.isEmpty() || (current != null && current.requestDone)) {
            // The previous request is answered first (HTTP/1.1 only; an HTTP/2 stream carries one request).
            queued.add(message);
            updateReads();
            return;
        }
        handle(message);
    }

    private void handle(Object message) {
        if (!(message instanceof HttpObject)) {
            ReferenceCountUtil.release(message);
            return;
        }
        if (current == null) {
            if (message instanceof HttpRequest request) {
                start(request);
            } else {
                ReferenceCountUtil.release(message);
            }
            return;
        }
        requestPart(current, message);
    }

    private void start(HttpRequest request) {
        boolean last = request instanceof LastHttpContent;
        if (request.decoderResult().isFailure()) {
            ReferenceCountUtil.release(request);
            answer(null, HttpResponseStatus.BAD_REQUEST, "bad request: " + request.decoderResult().cause().getMessage(),
                    false);
            ctx.close();
            return;
        }
        boolean keepAlive = http2 || HttpUtil.isKeepAlive(request);
        Upstream upstream = upstreams.apply(http2);
        Exchange exchange = new Exchange(request, upstream, keepAlive);
        current = exchange;
        RequestPolicy.Refusal refusal;
        try {
            refusal = policy.admit(ctx.channel(), request);
        } catch (RuntimeException e) {
            LOG.error("deciding a request failed; it is refused", e);
            refusal = new RequestPolicy.Refusal(HttpResponseStatus.FORBIDDEN, "forbidden: authorization error");
        }
        if (refusal != null) {
            exchange.discarding = true;
            exchange.responseDone = true;
            exchange.requestDone = last;
            answer(request, refusal.status(), refusal.reason(), keepAlive);
            ReferenceCountUtil.release(request);
            finishIfDone(exchange);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        Messages.requestForUpstream(request, upstream.http2());
        exchange.pending.add(request);
        exchange.requestDone = last;
        updateReads();
        Future<Channel> acquired = upstream.acquire();
        acquired.addListener(done -> ctx.executor().execute(() -> {
            if (done.isSuccess()) {
                connected(exchange, (Channel) done.getNow());
            } else {
                upstreamFailed(exchange, done.cause());
            }
        }));
    }

    private void connected(Exchange exchange, Channel stream) {
        if (exchange.ended) {
            exchange.upstream.release(stream, false);
            return;
        }
        exchange.stream = stream;
        stream.config().setAutoRead(ctx.channel().isWritable());
        stream.pipeline().addLast("relay", new UpstreamSide(exchange));
        for (Object part : exchange.pending) {
            write(exchange, part);
        }
        exchange.pending.clear();
        stream.flush();
        updateReads();
    }

    private void upstreamFailed(Exchange exchange, Throwable cause) {
        if (exchange.ended) {
            return;
        }
        LOG.warn("request {} {} not relayed: {}", exchange.request.method(), exchange.request.uri(), cause.getMessage());
        exchange.pending.forEach(ReferenceCountUtil::release);
        exchange.pending.clear();
        exchange.discarding = true;
        exchange.responseDone = true;
        answer(exchange.request, HttpResponseStatus.BAD_GATEWAY, "bad gateway: " + exchange.upstream.name
                + " unavailable", exchange.keepAlive);
        finishIfDone(exchange);
        updateReads();
    }

    private void requestPart(Exchange exchange, Object part) {
        boolean last = part instanceof LastHttpContent;
        if (exchange.discarding) {
            ReferenceCountUtil.release(part);
        } else if (exchange.stream == null) {
            exchange.pending.add(part);
        } else {
            write(exchange, part);
            exchange.stream.flush();
        }
        if (last) {
            exchange.requestDone = true;
            finishIfDone(exchange);
            updateReads();
        }
    }

    private void write(Exchange exchange, Object part) {
        exchange.stream.write(part).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                ctx.executor().execute(() -> upstreamClosed(exchange));
            }
        });
    }

    /** An object of the answer, on the caller's event loop. */
    private void responsePart(Exchange exchange, Object part) {
        if (exchange.ended || exchange.responseDone) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (part instanceof HttpResponse response) {
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // 1xx answers are hop-by-hop here: the sidecar answered Expect itself.
                exchange.skippingInformational = !(part instanceof LastHttpContent);
                ReferenceCountUtil.release(part);
                return;
            }
            exchange.upstreamKeepAlive = HttpUtil.isKeepAlive(response);
            Messages.responseForDownstream(response, exchange.request, http2, exchange.keepAlive);
            exchange.responseStarted = true;
        } else if (exchange.skippingInformational) {
            exchange.skippingInformational = !(part instanceof LastHttpContent);
            ReferenceCountUtil.release(part);
            return;
        }
        boolean last = part instanceof LastHttpContent;
        ctx.writeAndFlush(part);
        if (last) {
            exchange.responseDone = true;
            finishIfDone(exchange);
        }
    }

    /** The upstream channel closed (or a write to it failed) before the exchange ended. */
    private void upstreamClosed(Exchange exchange) {
        if (exchange.ended || (exchange.responseDone && exchange.requestDone)) {
            return;
        }
        if (exchange.responseDone) {
            // The answer is complete; only the rest of the request body has nowhere to go.
            exchange.discarding = true;
            return;
        }
        if (!exchange.responseStarted) {
            exchange.discarding = true;
            exchange.responseDone = true;
            answer(exchange.request, HttpResponseStatus.BAD_GATEWAY, "bad gateway: " + exchange.upstream.name
                    + " closed the connection", exchange.keepAlive);
            finishIfDone(exchange);
            updateReads();
            return;
        }
        // Half an answer cannot be completed: end the caller's stream (HTTP/2 reset) or connection (HTTP/1.1).
        end(exchange, false);
        ctx.close();
    }

    private void finishIfDone(Exchange exchange) {
        if (!exchange.requestDone || !exchange.responseDone || exchange.ended) {
            return;
        }
        end(exchange, !exchange.discarding && exchange.upstreamKeepAlive);
        if (http2) {
            return;
        }
        if (!exchange.keepAlive) {
            ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        while (current == null && !queued.isEmpty()) {
            handle(queued.poll());
        }
        while (current != null && !current.requestDone && !queued.isEmpty()) {
            handle(queued.poll());
        }
        updateReads();
    }

    private void end(Exchange exchange, boolean reusable) {
        exchange.ended = true;
        if (current == exchange) {
            current = null;
        }
        exchange.pending.forEach(ReferenceCountUtil::release);
        exchange.pending.clear();
        Channel stream = exchange.stream;
        if (stream != null) {
            if (stream.pipeline().get(UpstreamSide.class) != null) {
                stream.pipeline().remove(UpstreamSide.class);
            }
            stream.config().setAutoRead(true);
            exchange.upstream.release(stream, reusable);
        }
    }

    /** Reads from the caller while the upstream can take more and no earlier HTTP/1.1 request is still answered. */
    private void updateReads() {
        Exchange exchange = current;
        boolean read;
        if (exchange == null) {
            read = true;
        } else if (exchange.discarding) {
            read = true;
        } else if (exchange.stream == null) {
            read = false;
        } else if (!http2 && exchange.requestDone) {
            read = false;
        } else {
            read = exchange.stream.isWritable();
        }
        if (!queued.isEmpty()) {
            read = false;
        }
        ctx.channel().config().setAutoRead(read);
        if (read) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        Exchange exchange = current;
        if (exchange != null && exchange.stream != null) {
            exchange.stream.config().setAutoRead(context.channel().isWritable());
        }
        context.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        Exchange exchange = current;
        if (exchange != null && !exchange.ended) {
            end(exchange, false);
        }
        queued.forEach(ReferenceCountUtil::release);
        queued.clear();
        context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        LOG.debug("caller {} closed: {}", context.channel().remoteAddress(), cause.toString());
        context.close();
    }

    private void answer(HttpRequest request, HttpResponseStatus status, String reason, boolean keepAlive) {
        FullHttpResponse response = Messages.answer(request, status, reason, http2, keepAlive);
        ctx.writeAndFlush(response);
    }

    /** On the upstream channel: hands the answer, its end and the channel's writability over to the caller's loop. */
    private final class UpstreamSide extends ChannelInboundHandlerAdapter {
        private final Exchange exchange;

        UpstreamSide(Exchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            ctx.executor().execute(() -> responsePart(exchange, message));
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext context) {
            ctx.executor().execute(() -> {
                if (current == exchange) {
                    updateReads();
                }
            });
            context.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            ctx.executor().execute(() -> upstreamClosed(exchange));
            context.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            LOG.debug("upstream {} failed: {}", exchange.upstream.name, cause.toString());
            context.close();
        }
    }
}
