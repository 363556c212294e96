package io.gitward.security.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP/1.1 pipeline of the operator listeners bounds what an unauthenticated peer may send before anything
 * else runs: a header block over {@code security.limits.max-inbound-metadata-bytes} (16 KiB by default) or a
 * request line over 4 KiB is answered 431 / 414 and the connection closed; requests within the limits are served.
 */
class HeaderLimitTest {
    private static final int LIMIT = 16 * 1024;

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of("a request with 8 KiB of headers is served", "/healthz", 8 * 1024, "200 OK", true),
                Arguments.of("a request with 20 KiB of headers is refused", "/healthz", 20 * 1024,
                        "431 Request Header Fields Too Large", false),
                Arguments.of("a request with 64 KiB of headers is refused", "/healthz", 64 * 1024,
                        "431 Request Header Fields Too Large", false),
                Arguments.of("a 5 KiB request line is refused", "/healthz?" + "x".repeat(5 * 1024), 0, "414 Request-URI Too Long",
                        false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void headersOverTheLimitAreRefusedAndTheConnectionClosed(String name, String target, int headerBytes, String status,
            boolean stillOpen) {
        HttpLimits limits = new HttpLimits(Duration.ofSeconds(10), LIMIT, 100, 200, Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofHours(1));
        NodeStatus serving = new NodeStatus(() -> true, () -> true, () -> "");
        EmbeddedChannel channel = new EmbeddedChannel();
        new HttpPipelines(limits, () -> new HealthHandler(serving), new io.gitward.security.audit.LimitCounters())
                .http1(channel.pipeline());

        StringBuilder request = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: node\r\n");
        for (int i = 0; headerBytes > 0 && request.length() < headerBytes; i++) {
            request.append("x-filler-").append(i).append(": ").append("a".repeat(200)).append("\r\n");
        }
        request.append("\r\n");
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));

        String response = readAll(channel);
        assertTrue(response.startsWith("HTTP/1.1 " + status + "\r\n"), response);
        assertEquals(stillOpen, channel.isOpen(), "connection open after: " + response);
        if (!stillOpen) {
            assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), response);
            assertFalse(response.contains("SERVING"), "nothing is served past the limit: " + response);
        }
        channel.finishAndReleaseAll();
    }

    private static String readAll(EmbeddedChannel channel) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf buffer = channel.readOutbound(); buffer != null; buffer = channel.readOutbound()) {
            out.append(buffer.toString(StandardCharsets.US_ASCII));
            buffer.release();
        }
        return out.toString();
    }
}
