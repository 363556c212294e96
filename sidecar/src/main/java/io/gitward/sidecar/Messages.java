package io.gitward.sidecar;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Header work between the two sides of a relayed request: hop-by-hop headers end at the sidecar (RFC 9110 section
 * 7.6.1), HTTP/1.1 framing is re-derived for the side that needs it, and the HTTP/2-to-HTTP/1 codec's own extension
 * headers never travel. Also the sidecar's own answers, as HTTP or as a gRPC status.
 */
final class Messages {
    private static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization", "http2-settings");
    private static final String CODEC_EXTENSION_PREFIX = "x-http2-";

    private Messages() {
    }

    /** Removes hop-by-hop headers (those named in Connection included) and the codec's extension headers. */
    static void stripHopByHop(HttpHeaders headers) {
        List<String> named = new ArrayList<>();
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                named.add(token.trim().toLowerCase(Locale.ROOT));
            }
        }
        named.forEach(headers::remove);
        HOP_BY_HOP.forEach(headers::remove);
        // "te: trailers" is how gRPC says it accepts trailers; any other TE is hop-by-hop.
        String te = headers.get(HttpHeaderNames.TE);
        if (te != null && !te.trim().equalsIgnoreCase("trailers")) {
            headers.remove(HttpHeaderNames.TE);
        }
        List<String> extensions = new ArrayList<>();
        for (var entry : headers) {
            if (entry.getKey().toLowerCase(Locale.ROOT).startsWith(CODEC_EXTENSION_PREFIX)) {
                extensions.add(entry.getKey());
            }
        }
        extensions.forEach(headers::remove);
    }

    /** Prepares a request for the upstream: hop-by-hop removed, HTTP/1.1 framing when the upstream speaks it. */
    static void requestForUpstream(HttpRequest request, boolean upstreamHttp2) {
        stripHopByHop(request.headers());
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (upstreamHttp2) {
            return;
        }
        frameForHttp1(request);
    }

    /** Prepares a response for the caller: hop-by-hop removed, HTTP/1.1 framing and keep-alive for an HTTP/1.1 caller. */
    static void responseForDownstream(HttpResponse response, HttpRequest request, boolean downstreamHttp2,
            boolean keepAlive) {
        stripHopByHop(response.headers());
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (downstreamHttp2) {
            return;
        }
        boolean bodiless = response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                || response.status().code() == 204 || response.status().code() == 304
                || HttpMethod.HEAD.equals(request.method());
        if (!bodiless) {
            frameForHttp1(response);
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private static void frameForHttp1(HttpMessage message) {
        if (message instanceof FullHttpMessage full) {
            if (full.content().isReadable() || (message instanceof HttpResponse && !HttpUtil.isContentLengthSet(message))) {
                HttpUtil.setContentLength(message, full.content().readableBytes());
            }
            return;
        }
        if (!HttpUtil.isContentLengthSet(message)) {
            HttpUtil.setTransferEncodingChunked(message, true);
        }
    }

    /** Whether {@code request} is a gRPC call (answered with a gRPC status rather than an HTTP error). */
    static boolean isGrpc(HttpRequest request) {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/grpc");
    }

    /**
     * The sidecar's own answer: for gRPC a trailers-only response whose {@code grpc-status} matches the HTTP status
     * (403 → PERMISSION_DENIED, 401 → UNAUTHENTICATED, 400 → INVALID_ARGUMENT, else UNAVAILABLE), else plain text.
     */
    static FullHttpResponse answer(HttpRequest request, HttpResponseStatus status, String text, boolean downstreamHttp2,
            boolean keepAlive) {
        FullHttpResponse response;
        if (request != null && isGrpc(request)) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            int code = switch (status.code()) {
                case 403 -> 7;
                case 401 -> 16;
                case 400 -> 3;
                default -> 14;
            };
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                    .set("grpc-status", Integer.toString(code))
                    .set("grpc-message", grpcMessage(text));
        } else {
            byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
            boolean head = request != null && HttpMethod.HEAD.equals(request.method());
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                    .set("x-content-type-options", "nosniff");
            if (!downstreamHttp2) {
                HttpUtil.setContentLength(response, body.length);
            }
        }
        if (!downstreamHttp2 && !keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** gRPC's percent-encoding of grpc-message: printable ASCII except '%' as is, everything else %XX of UTF-8. */
    static String grpcMessage(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }
}
