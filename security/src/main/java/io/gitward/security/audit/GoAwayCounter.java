package io.gitward.security.audit;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Listens to one HTTP/2 connection (gRPC or the HTTP listeners) and counts the GOAWAYs a limit made this node send.
 * The HTTP/2 stacks report only an error code and a debug text, so the text tells the limits apart: grpc-java says
 * {@code too_many_rststreams} / {@code too_many_pings}, Netty "Maximum number N of RST frames" and "Header size
 * exceeded".
 */
public final class GoAwayCounter extends Http2ConnectionAdapter {
    private final LimitCounters counters;

    public GoAwayCounter(LimitCounters counters) {
        this.counters = requireNonNull(counters, "counters");
    }

    @Override
    public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
        if (errorCode == Http2Error.NO_ERROR.code()) {
            return;
        }
        String debug = debugData == null ? "" : debugData.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        if (errorCode == Http2Error.ENHANCE_YOUR_CALM.code() && debug.contains("rst")) {
            counters.record(LimitCounters.Limit.RAPID_RESET);
        } else if (errorCode == Http2Error.ENHANCE_YOUR_CALM.code() && debug.contains("ping")) {
            counters.record(LimitCounters.Limit.PING_FLOOD);
        } else if (debug.contains("header") && debug.contains("size")) {
            counters.record(LimitCounters.Limit.HEADER_SIZE);
        }
    }
}
