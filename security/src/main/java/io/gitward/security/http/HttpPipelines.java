package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.gitward.security.audit.GoAwayCounter;
import io.gitward.security.audit.LimitCounters;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.util.function.Supplier;

/**
 * Puts the HTTP/1.1 or HTTP/2 codec, with the limits, in front of an endpoint handler. Both protocols hand the
 * handler the same {@code HttpRequest} objects, so the endpoints do not know which one carried a request.
 */
final class HttpPipelines {
    /** The name of the {@link ConnectionGuard} every connection's pipeline ends with. */
    static final String GUARD = "guard";

    private final HttpLimits limits;
    private final Supplier<ChannelHandler> endpoints;
    private final LimitCounters counters;

    /**
     * @param endpoints a fresh endpoint handler per HTTP/1.1 connection or HTTP/2 stream
     * @param counters  where the GOAWAYs the limits cause are counted
     */
    HttpPipelines(HttpLimits limits, Supplier<ChannelHandler> endpoints, LimitCounters counters) {
        this.limits = requireNonNull(limits, "limits");
        this.endpoints = requireNonNull(endpoints, "endpoints");
        this.counters = requireNonNull(counters, "counters");
    }

    /** HTTP/1.1 (and 1.0): header block and request line bounded, and the time to send them. */
    void http1(ChannelPipeline pipeline) {
        RequestHeadTimeout headTimeout = new RequestHeadTimeout(limits.handshakeTimeout(), counters);
        add(pipeline, "head-clock", headTimeout.bytes());
        add(pipeline, "http1", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(HttpLimits.MAX_REQUEST_LINE)
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(8192)));
        add(pipeline, "head-done", headTimeout.requests());
        add(pipeline, "endpoints", endpoints.get());
    }

    /**
     * HTTP/2: header lists bounded (advertised in SETTINGS and enforced by the decoder), concurrent streams
     * bounded, rapid reset refused (more RST_STREAM frames per window than allowed end the connection), and a
     * connection without a stream for the idle timeout closed.
     */
    void http2(ChannelPipeline pipeline) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(limits.maxConcurrentStreams())
                .maxHeaderListSize(limits.maxHeaderBytes());
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .decoderEnforceMaxRstFramesPerWindow(limits.maxRstFrames(),
                        (int) Math.max(1, limits.rstWindow().toSeconds()))
                .build();
        codec.connection().addListener(new GoAwayCounter(counters));
        add(pipeline, "http2", codec);
        add(pipeline, "streamless", new StreamlessTimeout(codec.connection(), limits.idleTimeout(), counters));
        add(pipeline, "streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), endpoints.get());
            }
        }));
    }

    /** In front of the connection's guard, which stays the last handler; at the end when there is none. */
    private static void add(ChannelPipeline pipeline, String name, ChannelHandler handler) {
        if (pipeline.get(GUARD) != null) {
            pipeline.addBefore(GUARD, name, handler);
        } else {
            pipeline.addLast(name, handler);
        }
    }
}
