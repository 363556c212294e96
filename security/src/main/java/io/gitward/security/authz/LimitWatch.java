package io.gitward.security.authz;

import static java.util.Objects.requireNonNull;

import io.gitward.security.audit.GoAwayCounter;
import io.gitward.security.audit.LimitCounters;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;

/**
 * Makes the limits grpc-java enforces itself visible in {@link LimitCounters}: a transport filter that listens to
 * each connection's HTTP/2 GOAWAYs (rapid reset, ping flood, oversized headers) and a stream tracer that counts
 * messages refused for their size. It changes nothing about what is allowed.
 */
public final class LimitWatch extends ServerTransportFilter {
    /** grpc-java's description of a message over {@code maxInboundMessageSize}. */
    private static final String MESSAGE_TOO_LARGE = "gRPC message exceeds maximum size";

    private final ConnectionRegistry registry;
    private final LimitCounters counters;

    public LimitWatch(ConnectionRegistry registry, LimitCounters counters) {
        this.registry = requireNonNull(registry, "registry");
        this.counters = requireNonNull(counters, "counters");
    }

    /**
     * Runs on the connection's event loop when its first SETTINGS arrive, before any stream: the listener is in
     * place for every frame after.
     */
    @Override
    public Attributes transportReady(Attributes attributes) {
        Channel channel = registry.channel(attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        Http2ConnectionHandler http2 = channel == null ? null : channel.pipeline().get(Http2ConnectionHandler.class);
        if (http2 != null) {
            http2.connection().addListener(new GoAwayCounter(counters));
        }
        return attributes;
    }

    /** Counts streams that ended because their message was too large. */
    public ServerStreamTracer.Factory messageSizes() {
        return new ServerStreamTracer.Factory() {
            @Override
            public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
                return new ServerStreamTracer() {
                    @Override
                    public void streamClosed(Status status) {
                        String description = status.getDescription();
                        if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && description != null
                                && description.startsWith(MESSAGE_TOO_LARGE)) {
                            counters.record(LimitCounters.Limit.MESSAGE_SIZE);
                        }
                    }
                };
            }
        };
    }
}
