package io.gitward.security.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/** Answers requests the HTTP/1.1 decoder could not accept (headers over the limit, a bad request line) and closes. */
final class MalformedRequests {
    private MalformedRequests() {
    }

    /** Returns true when {@code request} failed to decode and was answered. */
    static boolean refuse(ChannelHandlerContext ctx, HttpRequest request) {
        if (!request.decoderResult().isFailure()) {
            return false;
        }
        Throwable cause = request.decoderResult().cause();
        HttpResponseStatus status;
        String reason;
        if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            reason = "request headers too large";
        } else if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
            reason = "request line too long";
        } else if (cause instanceof TooLongFrameException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            reason = "request too large";
        } else {
            status = HttpResponseStatus.BAD_REQUEST;
            reason = "malformed request";
        }
        // The decoder discards the rest of the connection's input: answer and close.
        HttpResponses.text(ctx, null, status, reason, true);
        return true;
    }
}
