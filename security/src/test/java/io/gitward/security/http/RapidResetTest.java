package io.gitward.security.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.audit.LimitCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Error;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * CVE-2023-44487 against the plaintext pipeline of the HTTP listeners (h2c, as on {@code http-health}, open to
 * anyone): HEADERS then RST_STREAM, stream after stream. Past {@code max-rst-frames} in the window the connection
 * ends with GOAWAY ENHANCE_YOUR_CALM (so a client knows to back off, not a plain NO_ERROR) and the limit is counted;
 * fewer resets leave the connection serving.
 */
class RapidResetTest {
    private static final int MAX_RST = 50;

    private final LimitCounters counters = new LimitCounters();

    private EmbeddedChannel connection() {
        HttpLimits limits = new HttpLimits(Duration.ofSeconds(10), 16 * 1024, 100, MAX_RST, Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofHours(1));
        NodeStatus serving = new NodeStatus(() -> true, () -> true, () -> "");
        // A server's connection: Netty's HTTP/2 multiplexer tells server from client by the parent channel.
        EmbeddedChannel channel = new EmbeddedChannel(new LocalServerChannel(), DefaultChannelId.newInstance(), true,
                false);
        HttpPipelines pipelines = new HttpPipelines(limits, () -> new HealthHandler(serving), counters);
        channel.pipeline().addLast("sniff", new PrefaceSniffer(pipelines));
        channel.pipeline().addLast(HttpPipelines.GUARD, new ConnectionGuard(limits.maxConnectionAge(), counters));
        return channel;
    }

    @Test
    void moreResetsThanTheWindowAllowsEndTheConnectionWithEnhanceYourCalm() throws Exception {
        EmbeddedChannel channel = connection();
        channel.writeInbound(resets(MAX_RST + 10));

        Long error = goAwayError(channel);
        assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), error, "GOAWAY error code");
        assertFalse(channel.isOpen(), "the connection is closed");
        assertEquals(1, counters.count(LimitCounters.Limit.RAPID_RESET));
        channel.finishAndReleaseAll();
    }

    @Test
    void resetsWithinTheWindowLeaveTheConnectionServing() throws Exception {
        EmbeddedChannel channel = connection();
        channel.writeInbound(resets(MAX_RST - 10));

        assertNull(goAwayError(channel), "no GOAWAY");
        assertTrue(channel.isOpen());
        assertEquals(0, counters.count(LimitCounters.Limit.RAPID_RESET));
        channel.finishAndReleaseAll();
    }

    /** The client preface, SETTINGS, then {@code pairs} times HEADERS (GET /healthz, stream left open) and RST_STREAM. */
    private static ByteBuf resets(int pairs) throws Exception {
        ByteBuf out = Unpooled.buffer();
        out.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(out, 0x4, 0, 0, Unpooled.EMPTY_BUFFER);
        DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
        for (int i = 0, stream = 1; i < pairs; i++, stream += 2) {
            ByteBuf block = Unpooled.buffer();
            encoder.encodeHeaders(stream, new DefaultHttp2Headers().method("GET").scheme("http").path("/healthz")
                    .authority("node"), block);
            frame(out, 0x1, 0x4, stream, block);
            block.release();
            frame(out, 0x3, 0, stream, Unpooled.buffer(4).writeInt((int) Http2Error.CANCEL.code()));
        }
        return out;
    }

    private static void frame(ByteBuf out, int type, int flags, int stream, ByteBuf payload) {
        out.writeMedium(payload.readableBytes()).writeByte(type).writeByte(flags).writeInt(stream).writeBytes(payload);
    }

    /** The error code of the first GOAWAY the node wrote, or null when it wrote none. */
    private static Long goAwayError(EmbeddedChannel channel) {
        ByteBuf written = Unpooled.buffer();
        for (ByteBuf buffer = channel.readOutbound(); buffer != null; buffer = channel.readOutbound()) {
            written.writeBytes(buffer);
            buffer.release();
        }
        try {
            while (written.readableBytes() >= 9) {
                int length = written.readUnsignedMedium();
                int type = written.readUnsignedByte();
                written.skipBytes(5);
                if (type == 0x7) {
                    return written.getUnsignedInt(written.readerIndex() + 4);
                }
                written.skipBytes(length);
            }
            return null;
        } finally {
            written.release();
        }
    }
}
