package io.gitward.security.http;

import io.gitward.security.audit.LimitCounters;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends connections that idle (after the {@code IdleStateHandler} in front of it fires), reach the maximum
 * connection age, or fail; the last handler of a connection's pipeline, so no error reaches Netty's tail logger.
 */
final class ConnectionGuard extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final Duration maxAge;
    private final LimitCounters counters;

    ConnectionGuard(Duration maxAge, LimitCounters counters) {
        this.maxAge = maxAge;
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // For HTTP/2 the close becomes a GOAWAY that lets running streams finish.
        ctx.executor().schedule(() -> {
            ctx.channel().close();
        }, maxAge.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            counters.record(LimitCounters.Limit.IDLE_TIMEOUT);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2Exception) {
            // The HTTP/2 codec ends the stream or the connection itself, with the GOAWAY code that says why
            // (ENHANCE_YOUR_CALM for a rapid reset); closing here first would turn that into a plain NO_ERROR.
            return;
        }
        LOG.debug("HTTP connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
