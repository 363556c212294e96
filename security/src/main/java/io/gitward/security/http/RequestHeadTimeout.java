package io.gitward.security.http;

import io.gitward.security.audit.LimitCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Slowloris over HTTP/1.1: once the first byte of a request arrives, its head (request line and headers) must be
 * complete within {@code security.limits.handshake-timeout}, else the connection is closed. Bytes dribbled in do
 * not extend it, unlike the idle timeout, which any byte resets. The clock starts with the first byte of each
 * request, so a keep-alive connection may wait between requests as long as the idle timeout allows. One instance
 * per connection: {@link #bytes()} goes in front of the HTTP codec, {@link #requests()} behind it.
 */
final class RequestHeadTimeout {
    private final long timeoutMillis;
    private final LimitCounters counters;
    /** Between the response to one request and the head of the next (and before the first). */
    private boolean awaitingHead = true;
    private ScheduledFuture<?> timer;

    RequestHeadTimeout(Duration timeout, LimitCounters counters) {
        this.timeoutMillis = timeout.toMillis();
        this.counters = counters;
    }

    /** Sees the raw bytes: the first of a request starts the clock. */
    ChannelHandler bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                if (awaitingHead && timer == null && message instanceof ByteBuf bytes && bytes.isReadable()) {
                    timer = ctx.executor().schedule(() -> {
                        counters.record(LimitCounters.Limit.REQUEST_HEAD_TIMEOUT);
                        ctx.close();
                    }, timeoutMillis, TimeUnit.MILLISECONDS);
                }
                ctx.fireChannelRead(message);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                cancel();
                ctx.fireChannelInactive();
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                cancel();
            }
        };
    }

    /** Sees decoded requests (a complete head stops the clock) and responses (the next request head may follow). */
    ChannelHandler requests() {
        return new ChannelDuplexHandler() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                if (message instanceof HttpRequest) {
                    awaitingHead = false;
                    cancel();
                }
                ctx.fireChannelRead(message);
            }

            @Override
            public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
                if (message instanceof LastHttpContent) {
                    awaitingHead = true;
                }
                ctx.write(message, promise);
            }
        };
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
