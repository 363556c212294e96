package io.gitward.security.http;

import io.gitward.security.audit.LimitCounters;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 connection without an open stream for {@code security.limits.idle-timeout} is closed (GOAWAY, then
 * close). PINGs and SETTINGS do not keep it, unlike the idle handler, which any frame resets: otherwise a peer
 * pinging every few seconds would hold a connection slot until the maximum connection age. One per connection,
 * behind the HTTP/2 codec.
 */
final class StreamlessTimeout extends ChannelInboundHandlerAdapter {
    private final Http2Connection connection;
    private final long timeoutMillis;
    private final LimitCounters counters;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> timer;

    StreamlessTimeout(Http2Connection connection, Duration timeout, LimitCounters counters) {
        this.connection = connection;
        this.timeoutMillis = timeout.toMillis();
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamActive(Http2Stream stream) {
                cancel();
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (connection.numActiveStreams() == 0) {
                    arm();
                }
            }
        });
        arm();
    }

    private void arm() {
        cancel();
        timer = context.executor().schedule(() -> {
            if (connection.numActiveStreams() == 0 && context.channel().isActive()) {
                counters.record(LimitCounters.Limit.IDLE_TIMEOUT);
                context.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
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
}
