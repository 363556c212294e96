package io.gitward.tests.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The decoder the recorders and relays share, on bytes from Netty's own HTTP/2 encoder with Huffman coding forced
 * and the HPACK dynamic table in use: values hidden from a raw search come out whole, split frames and messages are
 * reassembled, compressed messages inflated, and bytes that are not HTTP/2 are reported instead of silently skipped.
 */
class Http2DecoderTest {
    private static final String TOKEN = "v3.1767323045.0123456789abcdef01234567." + "ab".repeat(32);

    @Test
    void huffmanCodedIndexedHeadersAndSplitMessagesComeOutWhole() throws Exception {
        byte[] transaction = new byte[40];
        new Random(7).nextBytes(transaction);
        byte[] first = new byte[3_000];
        new Random(8).nextBytes(first);
        byte[] second = "second message, compressed".getBytes(StandardCharsets.UTF_8);

        Wire wire = new Wire();
        wire.bytes(ByteBufUtil.getBytes(Http2CodecUtil.connectionPrefaceBuf()));
        wire.writer.writeSettings(wire.ctx, new Http2Settings(), wire.ctx.newPromise());
        for (int stream : new int[] {1, 3}) { // the second block reuses the dynamic table
            wire.writer.writeHeaders(wire.ctx, stream, headers(transaction), 0, false, wire.ctx.newPromise());
        }
        byte[] data = concat(grpcMessage(0, first), grpcMessage(1, gzip(second)));
        for (int at = 0; at < data.length; at += 1_000) { // one message over several DATA frames
            ByteBuf chunk = Unpooled.wrappedBuffer(data, at, Math.min(1_000, data.length - at));
            wire.writer.writeData(wire.ctx, 3, chunk, 0, at + 1_000 >= data.length, wire.ctx.newPromise());
        }
        byte[] bytes = wire.collect();
        assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains(TOKEN),
                "Huffman coding hides the token from a raw search: decoding is what finds it");

        Recorded recorded = new Recorded();
        Http2Decoder decoder = new Http2Decoder(true, recorded);
        for (byte b : bytes) {
            decoder.feed(new byte[] {b});
        }
        assertEquals(List.of(), recorded.problems);
        assertEquals(2, recorded.headers.size());
        for (List<WireHeader> block : recorded.headers) {
            assertEquals("Bearer " + TOKEN, value(block, "authorization").text());
            WireHeader binary = value(block, "gitward-transaction-bin");
            assertEquals(1, binary.binaryValues().size());
            assertArrayEquals(transaction, binary.binaryValues().get(0));
        }
        assertEquals(2, recorded.messages.size());
        assertArrayEquals(first, recorded.messages.get(0));
        assertArrayEquals(second, recorded.messages.get(1));
    }

    @Test
    void bytesThatAreNotHttp2AreReported() {
        Recorded recorded = new Recorded();
        new Http2Decoder(true, recorded).feed(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00});
        assertEquals(1, recorded.problems.size(), recorded.problems.toString());
        assertTrue(recorded.problems.get(0).contains("preface"), recorded.problems.get(0));
    }

    private static Http2Headers headers(byte[] transaction) {
        return new DefaultHttp2Headers(false).method("POST").path("/gitward.RefService/UpdateReferences")
                .scheme("http").authority("127.0.0.1:1").add("content-type", "application/grpc")
                .add("grpc-encoding", "gzip").add("authorization", "Bearer " + TOKEN)
                .add("gitward-transaction-bin", Base64.getEncoder().withoutPadding().encodeToString(transaction));
    }

    private static WireHeader value(List<WireHeader> block, String name) {
        return block.stream().filter(header -> header.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + block));
    }

    private static byte[] grpcMessage(int flag, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(flag);
        out.write(payload.length >>> 24);
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] bytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }

    /** Netty's frame writer with Huffman coding for every value it shortens, into an embedded channel. */
    private static final class Wire {
        private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
        private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter(new DefaultHttp2HeadersEncoder(
                Http2HeadersEncoder.NEVER_SENSITIVE, false, 16, 0));
        private final ByteArrayOutputStream preface = new ByteArrayOutputStream();

        void bytes(byte[] bytes) {
            preface.writeBytes(bytes);
        }

        byte[] collect() {
            channel.flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(preface.toByteArray());
            for (Object written = channel.readOutbound(); written != null; written = channel.readOutbound()) {
                ByteBuf buffer = (ByteBuf) written;
                out.writeBytes(ByteBufUtil.getBytes(buffer));
                buffer.release();
            }
            return out.toByteArray();
        }
    }

    private static final class Recorded implements Http2Decoder.Listener {
        private final List<List<WireHeader>> headers = new ArrayList<>();
        private final List<byte[]> messages = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();

        @Override
        public void headers(int stream, List<WireHeader> block) {
            headers.add(block);
        }

        @Override
        public void message(int stream, byte[] message) {
            messages.add(message);
        }

        @Override
        public void problem(String description) {
            problems.add(description);
        }
    }
}
