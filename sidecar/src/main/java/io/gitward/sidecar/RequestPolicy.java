package io.gitward.sidecar;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Decides whether a request may be relayed, and rewrites its headers for the other side when it may. */
interface RequestPolicy {
    /** A request the sidecar answers itself: status and a one-line reason (never a credential). */
    record Refusal(HttpResponseStatus status, String reason) {
    }

    /** Everything passes unchanged (outbound: the local app is trusted, the peer decides). */
    RequestPolicy PASS = (channel, request) -> null;

    /**
     * @param channel the caller's HTTP/1.1 connection or HTTP/2 stream
     * @return null when the request may go on (its headers may have been rewritten), else the refusal
     */
    Refusal admit(Channel channel, HttpRequest request);
}
