package io.gitward.security.http;

import io.gitward.security.runtime.SecuritySettings;
import java.time.Duration;

/**
 * The limits of design.md section 8 as the HTTP listeners apply them; the same {@code security.limits.*} keys
 * the gRPC listeners use.
 *
 * @param handshakeTimeout     a TLS handshake must finish within this
 * @param maxHeaderBytes       request headers (HTTP/1.1 header block, HTTP/2 header list)
 * @param maxConcurrentStreams HTTP/2 streams per connection
 * @param maxRstFrames         HTTP/2 rapid-reset protection: RST_STREAM frames per window
 * @param rstWindow            that window
 * @param idleTimeout          a connection without traffic for this long is closed
 * @param maxConnectionAge     connections are closed after this (bounds a removed CA's peers)
 */
record HttpLimits(Duration handshakeTimeout, int maxHeaderBytes, int maxConcurrentStreams, int maxRstFrames,
        Duration rstWindow, Duration idleTimeout, Duration maxConnectionAge) {
    /** Request lines longer than this are refused; the endpoints' paths are short. */
    static final int MAX_REQUEST_LINE = 4096;

    static HttpLimits of(SecuritySettings.Limits limits) {
        return new HttpLimits(limits.handshakeTimeout(), limits.maxInboundMetadataBytes(), limits.maxConcurrentStreams(),
                limits.maxRstFrames(), limits.rstWindow(), limits.idleTimeout(), limits.maxConnectionAge());
    }
}
