package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;

/**
 * On a plaintext connection, chooses the protocol from the first bytes: the HTTP/2 connection preface means h2c
 * with prior knowledge, anything else HTTP/1.1. Then removes itself; the bytes read so far go to the codec.
 */
final class PrefaceSniffer extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final HttpPipelines pipelines;

    PrefaceSniffer(HttpPipelines pipelines) {
        this.pipelines = requireNonNull(pipelines, "pipelines");
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int readable = Math.min(in.readableBytes(), PREFACE.readableBytes());
        if (!ByteBufUtil.equals(in, in.readerIndex(), PREFACE, 0, readable)) {
            pipelines.http1(ctx.pipeline());
            ctx.pipeline().remove(this);
            return;
        }
        if (readable < PREFACE.readableBytes()) {
            return;
        }
        pipelines.http2(ctx.pipeline());
        ctx.pipeline().remove(this);
    }
}
