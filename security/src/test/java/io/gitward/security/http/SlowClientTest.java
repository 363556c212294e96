package io.gitward.security.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.audit.LimitCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Slowloris on the HTTP listeners, on a frozen clock: a request head dribbled in byte by byte is cut at the
 * handshake timeout although every byte resets the idle timeout; an HTTP/2 connection that only pings is closed
 * at the idle timeout. Peers that send whole requests keep their connections.
 */
class SlowClientTest {
    private static final Duration HEAD = Duration.ofSeconds(10);
    private static final Duration IDLE = Duration.ofSeconds(60);

    private final LimitCounters counters = new LimitCounters();

    private EmbeddedChannel connection() {
        HttpLimits limits = new HttpLimits(HEAD, 16 * 1024, 100, 200, Duration.ofSeconds(30), IDLE,
                Duration.ofHours(1));
        NodeStatus serving = new NodeStatus(() -> true, () -> true, () -> "");
        // A server's connection: Netty's HTTP/2 multiplexer tells server from client by the parent channel.
        EmbeddedChannel channel = new EmbeddedChannel(new LocalServerChannel(), DefaultChannelId.newInstance(), true,
                false);
        channel.freezeTime();
        HttpPipelines pipelines = new HttpPipelines(limits, () -> new HealthHandler(serving), counters);
        channel.pipeline().addLast("sniff", new PrefaceSniffer(pipelines));
        channel.pipeline().addLast(HttpPipelines.GUARD, new ConnectionGuard(limits.maxConnectionAge(), counters));
        return channel;
    }

    private static void pass(EmbeddedChannel channel, Duration time) {
        channel.advanceTimeBy(time.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    @Test
    void aRequestHeadDribbledInIsCutAtTheHandshakeTimeout() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(ascii("GET /healthz HTTP/1.1\r\nHost: node\r\n"));
        for (int second = 0; second < HEAD.toSeconds() - 1; second++) {
            pass(channel, Duration.ofSeconds(1));
            channel.writeInbound(ascii("x"));
        }
        assertTrue(channel.isOpen(), "still within the handshake timeout");

        pass(channel, Duration.ofSeconds(2));

        assertFalse(channel.isOpen(), "the head did not arrive in time");
        assertEquals(1, counters.count(LimitCounters.Limit.REQUEST_HEAD_TIMEOUT));
        channel.finishAndReleaseAll();
    }

    @Test
    void aKeepAliveConnectionMayWaitBetweenWholeRequests() {
        EmbeddedChannel channel = connection();
        for (int request = 0; request < 3; request++) {
            channel.writeInbound(ascii("GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n"));
            pass(channel, HEAD.multipliedBy(2));
        }
        assertTrue(channel.isOpen(), "whole requests, then quiet: only the idle timeout may end this");
        assertEquals(0, counters.count(LimitCounters.Limit.REQUEST_HEAD_TIMEOUT));
        channel.finishAndReleaseAll();
    }

    @Test
    void anHttp2ConnectionThatOnlyPingsIsClosedAtTheIdleTimeout() {
        EmbeddedChannel channel = connection();
        ByteBuf preface = ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        frame(preface, 0x4, 0, 0, Unpooled.EMPTY_BUFFER);
        channel.writeInbound(preface);
        for (int second = 0; second < IDLE.toSeconds() - 5; second += 5) {
            pass(channel, Duration.ofSeconds(5));
            ByteBuf ping = Unpooled.buffer();
            frame(ping, 0x6, 0, 0, Unpooled.buffer(8).writeLong(second));
            channel.writeInbound(ping);
        }
        assertTrue(channel.isOpen(), "still within the idle timeout");

        pass(channel, Duration.ofSeconds(10));

        assertFalse(channel.isOpen(), "pings are no requests");
        assertEquals(1, counters.count(LimitCounters.Limit.IDLE_TIMEOUT));
        channel.finishAndReleaseAll();
    }

    @Test
    void anHttp2ConnectionWithAnOpenStreamStays() throws Exception {
        EmbeddedChannel channel = connection();
        ByteBuf request = ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        frame(request, 0x4, 0, 0, Unpooled.EMPTY_BUFFER);
        ByteBuf block = Unpooled.buffer();
        new DefaultHttp2HeadersEncoder().encodeHeaders(1, new DefaultHttp2Headers().method("GET").scheme("http")
                .path("/healthz").authority("node"), block);
        frame(request, 0x1, 0x4, 1, block);
        channel.writeInbound(request);

        pass(channel, IDLE.multipliedBy(2));

        assertTrue(channel.isOpen(), "a stream is open (the request has not ended)");
        assertEquals(0, counters.count(LimitCounters.Limit.IDLE_TIMEOUT));
        channel.finishAndReleaseAll();
    }

    private static void frame(ByteBuf out, int type, int flags, int stream, ByteBuf payload) {
        out.writeMedium(payload.readableBytes()).writeByte(type).writeByte(flags).writeInt(stream).writeBytes(payload);
        payload.release();
    }
}
