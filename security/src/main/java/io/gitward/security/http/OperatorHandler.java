package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.gitward.security.runtime.PrometheusText;
import io.gitward.security.runtime.SecurityRuntime;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Serves {@code /metrics}, {@code /readyz} and {@code /healthz} on the authorized HTTP listeners: every request is
 * routed, authorized and audited before anything is answered. One instance per connection (HTTP/1.1) or stream
 * (HTTP/2). Request bodies are ignored.
 */
final class OperatorHandler extends SimpleChannelInboundHandler<HttpObject> {
    private final SecurityRuntime security;
    private final HttpAuthorizer authorizer;
    private final NodeStatus status;

    OperatorHandler(SecurityRuntime security, HttpAuthorizer authorizer, NodeStatus status) {
        this.security = requireNonNull(security, "security");
        this.authorizer = requireNonNull(authorizer, "authorizer");
        this.status = requireNonNull(status, "status");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        if (!(message instanceof HttpRequest request)) {
            return;
        }
        if (MalformedRequests.refuse(ctx, request)) {
            return;
        }
        if (!OperatorRoutes.readOnly(request.method())) {
            authorizer.recordRefused(ctx.channel(), request, "method " + request.method() + " is not served");
            HttpResponses.text(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed (GET or HEAD only)",
                    false);
            return;
        }
        OperatorRoutes.Route route = OperatorRoutes.find(request.uri());
        if (route == null) {
            authorizer.recordRefused(ctx.channel(), request, "no such operator endpoint");
            HttpResponses.text(ctx, request, HttpResponseStatus.NOT_FOUND,
                    "not found (endpoints: /metrics, /readyz, /healthz)", false);
            return;
        }
        HttpAuthorizer.Verdict verdict = authorizer.authorize(ctx.channel(), request, route.method());
        if (!verdict.allowed()) {
            String word = verdict.refusal() == HttpResponseStatus.UNAUTHORIZED ? "unauthenticated" : "forbidden";
            HttpResponses.text(ctx, request, verdict.refusal(), word + ": " + verdict.reason(), false);
            return;
        }
        switch (route.endpoint()) {
            case METRICS -> HttpResponses.send(ctx, request, HttpResponseStatus.OK, HttpResponses.PROMETHEUS,
                    PrometheusText.render(security) + status.nodeMetrics().get(), false);
            case READYZ -> {
                boolean ready = status.ready().getAsBoolean();
                HttpResponses.text(ctx, request, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        ready ? "ready" : "not ready", false);
            }
            case HEALTHZ -> HealthHandler.answer(ctx, request, status);
            default -> throw new IllegalStateException("unrouted endpoint " + route.endpoint());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
