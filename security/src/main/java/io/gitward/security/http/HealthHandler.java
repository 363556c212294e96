package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The {@code http-health} listener: {@code GET /healthz} (or HEAD) answers the serving status to anyone, outside
 * TLS and authorization, as the gRPC health listener does; every other request gets 404 and nothing else.
 */
final class HealthHandler extends SimpleChannelInboundHandler<HttpObject> {
    static final String SERVING = "SERVING";
    static final String NOT_SERVING = "NOT_SERVING";

    private final NodeStatus status;

    HealthHandler(NodeStatus status) {
        this.status = requireNonNull(status, "status");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        if (!(message instanceof HttpRequest request) || MalformedRequests.refuse(ctx, request)) {
            return;
        }
        if (OperatorRoutes.readOnly(request.method()) && OperatorRoutes.HEALTHZ.equals(OperatorRoutes.path(request.uri()))) {
            answer(ctx, request, status);
        } else {
            HttpResponses.text(ctx, request, HttpResponseStatus.NOT_FOUND, "not found (this listener serves GET /healthz)",
                    false);
        }
    }

    /** 200 {@code SERVING} or 503 {@code NOT_SERVING}. */
    static void answer(ChannelHandlerContext ctx, HttpRequest request, NodeStatus status) {
        boolean serving = status.serving().getAsBoolean();
        HttpResponses.text(ctx, request, serving ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                serving ? SERVING : NOT_SERVING, false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
