package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Opens a node's HTTP listeners by their {@code listen.*} name: {@code http-tls} (HTTPS with the node's
 * reloadable HTTP context: same key, client-auth and revocation as grpc-tls; ALPN h2 or http/1.1),
 * {@code http-plaintext} (HTTP/1.1 or h2c by prior knowledge) and {@code http-health} (GET /healthz only, no
 * authorization). All of them run on the gRPC listeners' event loops and count against the same connection limit.
 */
public final class OperatorListeners {
    private final SecurityRuntime security;
    private final NodeStatus status;
    private final HttpAuthorizer authorizer;

    public OperatorListeners(SecurityRuntime security, NodeStatus status) {
        this.security = requireNonNull(security, "security");
        this.status = requireNonNull(status, "status");
        this.authorizer = new HttpAuthorizer(security);
    }

    /**
     * Binds the listener {@code name} (one of {@link NodeSettings#HTTP_TLS}, {@link NodeSettings#HTTP_PLAINTEXT},
     * {@link NodeSettings#HTTP_HEALTH}) on {@code address}.
     *
     * @throws IOException              when the address cannot be bound
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException    for http-tls on a node without key and certificate
     */
    public HttpListener open(String name, InetSocketAddress address) throws IOException {
        HttpLimits limits = HttpLimits.of(security.settings().limits());
        HttpPipelines pipelines = switch (name) {
            case NodeSettings.HTTP_TLS, NodeSettings.HTTP_PLAINTEXT -> new HttpPipelines(limits,
                    () -> new OperatorHandler(security, authorizer, status), security.limitCounters());
            case NodeSettings.HTTP_HEALTH -> new HttpPipelines(limits, () -> new HealthHandler(status),
                    security.limitCounters());
            default -> throw new IllegalArgumentException("not an HTTP listener: " + name);
        };
        boolean tls = name.equals(NodeSettings.HTTP_TLS);
        io.netty.handler.ssl.SslContext context = tls ? security.httpServerContext() : null;
        // The health probe listener is open to anyone: its own connection budget, as the gRPC health listener's.
        var channels = name.equals(NodeSettings.HTTP_HEALTH) ? security.trackedProbeChannels()
                : security.trackedServerChannels(tls);
        return HttpListener.bind(name, address, security.bossGroup(), security.workerGroup(), channels,
                channel -> setUp(channel, limits, pipelines, context, security.limitCounters()));
    }

    /**
     * Binds an HTTP listener of another component (the sidecar) with the same stack as the operator endpoints: on
     * TLS the node's reloadable HTTP context (rotation, client-auth by phase, and revoked peers cut through the
     * connection registry) with ALPN h2 / http/1.1, else HTTP/1.1 or h2c by prior knowledge; the same limits, the
     * same event loops and connection limit. {@code handlers} gives a fresh handler per HTTP/1.1 connection or
     * HTTP/2 stream, which receives Netty {@code HttpObject}s either way.
     *
     * @throws IOException           when the address cannot be bound
     * @throws IllegalStateException for TLS on a node without key and certificate
     */
    public static HttpListener openApplication(String name, InetSocketAddress address, SecurityRuntime security,
            boolean tls, java.util.function.Supplier<io.netty.channel.ChannelHandler> handlers) throws IOException {
        HttpLimits limits = HttpLimits.of(security.settings().limits());
        HttpPipelines pipelines = new HttpPipelines(limits, handlers, security.limitCounters());
        io.netty.handler.ssl.SslContext context = tls ? security.httpServerContext() : null;
        return HttpListener.bind(name, address, security.bossGroup(), security.workerGroup(),
                security.trackedServerChannels(tls),
                channel -> setUp(channel, limits, pipelines, context, security.limitCounters()));
    }

    private static void setUp(Channel channel, HttpLimits limits, HttpPipelines pipelines,
            io.netty.handler.ssl.SslContext tls, io.gitward.security.audit.LimitCounters counters) {
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("idle", new IdleStateHandler(0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        if (tls != null) {
            SslHandler ssl = tls.newHandler(channel.alloc());
            ssl.setHandshakeTimeoutMillis(limits.handshakeTimeout().toMillis());
            pipeline.addLast("tls", ssl);
            pipeline.addLast("alpn", new AlpnSwitch(pipelines));
        } else {
            pipeline.addLast("sniff", new PrefaceSniffer(pipelines));
        }
        pipeline.addLast(HttpPipelines.GUARD, new ConnectionGuard(limits.maxConnectionAge(), counters));
    }
}
