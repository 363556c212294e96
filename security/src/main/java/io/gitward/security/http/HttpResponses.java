package io.gitward.security.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.nio.charset.StandardCharsets;

/** Writes the small text responses of the operator endpoints, over HTTP/1.1 or one HTTP/2 stream. */
final class HttpResponses {
    static final String TEXT = "text/plain; charset=utf-8";
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private HttpResponses() {
    }

    /**
     * Sends {@code body} with {@code status}; a HEAD request gets the headers only. An HTTP/1.x connection stays
     * open only when the request asked for it and {@code close} is false.
     *
     * @param request the request answered, or null when it could not be decoded
     */
    static void send(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String contentType,
            String body, boolean close) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        boolean head = request != null && HttpMethod.HEAD.equals(request.method());
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff");
        boolean http2 = ctx.channel() instanceof Http2StreamChannel;
        boolean keepAlive = !http2 && !close && request != null && HttpUtil.isKeepAlive(request);
        if (!http2 && !keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        var written = ctx.writeAndFlush(response);
        if (!http2 && !keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A plain-text response: {@code status} and a one-line reason. */
    static void text(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String line,
            boolean close) {
        send(ctx, request, status, TEXT, line + "\n", close);
    }
}
