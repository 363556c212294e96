package io.gitward.tests.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.zip.GZIPInputStream;

/**
 * Decodes one direction of one HTTP/2 connection as it arrives, in pieces of any size: frames with Netty's frame
 * reader, header blocks with its HPACK decoder (dynamic table and Huffman included, so values come out as the octets
 * the sender encoded), DATA reassembled per stream into gRPC messages (5-byte prefix; gzip-compressed ones
 * inflated). What a header or message looks like on the wire is irrelevant to a search after this.
 */
final class Http2Decoder {
    /** Receives what was decoded, in wire order. */
    interface Listener {
        void headers(int stream, List<WireHeader> headers);

        void message(int stream, byte[] message);

        void problem(String description);
    }

    private static final byte[] PREFACE = ByteBufUtil.getBytes(Http2CodecUtil.connectionPrefaceBuf());
    /** Per stream, at most this much DATA is kept for reassembly; beyond it the stream is reported, not decoded. */
    private static final int MAX_STREAM_BUFFER = 16 << 20;

    private final Listener listener;
    private final DefaultHttp2FrameReader reader;
    private final ByteBuf pending = Unpooled.buffer();
    private final EmbeddedChannel context = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    private final Map<Integer, ByteArrayOutputStream> data = new HashMap<>();
    private final Map<Integer, String> encodings = new HashMap<>();
    private int prefaceLeft;
    private boolean broken;

    /**
     * @param clientToServer whether this is the caller's side (it starts with the connection preface)
     */
    Http2Decoder(boolean clientToServer, Listener listener) {
        this.listener = listener;
        this.prefaceLeft = clientToServer ? PREFACE.length : 0;
        this.reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(false, false, 1L << 24));
        try {
            reader.maxFrameSize(Http2CodecUtil.MAX_FRAME_SIZE_UPPER_BOUND);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Feeds the next bytes of the stream. */
    void feed(byte[] bytes) {
        if (broken) {
            return;
        }
        int offset = 0;
        while (prefaceLeft > 0 && offset < bytes.length) {
            if (bytes[offset] != PREFACE[PREFACE.length - prefaceLeft]) {
                fail("the connection does not start with the HTTP/2 preface (not h2, or still TLS)");
                return;
            }
            offset++;
            prefaceLeft--;
        }
        pending.writeBytes(bytes, offset, bytes.length - offset);
        try {
            reader.readFrame(context.pipeline().firstContext(), pending, frames);
        } catch (Http2Exception | RuntimeException e) {
            fail("HTTP/2 decoding failed: " + e);
        }
        pending.discardReadBytes();
    }

    private void fail(String description) {
        broken = true;
        listener.problem(description);
    }

    private final Http2FrameAdapter frames = new Http2FrameAdapter() {
        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int stream, Http2Headers headers, int padding,
                boolean endOfStream) {
            List<WireHeader> decoded = new ArrayList<>();
            for (Entry<CharSequence, CharSequence> header : headers) {
                String name = header.getKey().toString();
                byte[] value = AsciiString.of(header.getValue()).toByteArray();
                decoded.add(new WireHeader(name, value));
                if (name.equals("grpc-encoding")) {
                    encodings.put(stream, header.getValue().toString());
                }
            }
            listener.headers(stream, decoded);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int stream, Http2Headers headers, int dependency,
                short weight, boolean exclusive, int padding, boolean endOfStream) {
            onHeadersRead(ctx, stream, headers, padding, endOfStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int stream, ByteBuf bytes, int padding, boolean endOfStream) {
            int processed = bytes.readableBytes() + padding;
            ByteArrayOutputStream buffer = data.computeIfAbsent(stream, id -> new ByteArrayOutputStream());
            if (buffer.size() + bytes.readableBytes() > MAX_STREAM_BUFFER) {
                listener.problem("stream " + stream + ": a message over " + MAX_STREAM_BUFFER + " bytes is not decoded");
                data.remove(stream);
                return processed;
            }
            buffer.writeBytes(ByteBufUtil.getBytes(bytes));
            ByteArrayOutputStream rest = messages(stream, buffer.toByteArray());
            if (!endOfStream) {
                data.put(stream, rest);
            } else {
                data.remove(stream);
                if (rest.size() > 0) {
                    listener.problem("stream " + stream + " ended inside a message (" + rest.size() + " bytes left)");
                }
            }
            return processed;
        }
    };

    /** Emits every complete gRPC message at the start of {@code buffered}; what is left waits for more DATA. */
    private ByteArrayOutputStream messages(int stream, byte[] buffered) {
        int at = 0;
        while (buffered.length - at >= 5) {
            int length = ((buffered[at + 1] & 0xff) << 24) | ((buffered[at + 2] & 0xff) << 16)
                    | ((buffered[at + 3] & 0xff) << 8) | (buffered[at + 4] & 0xff);
            if (length < 0 || buffered.length - at - 5 < length) {
                break;
            }
            byte[] message = java.util.Arrays.copyOfRange(buffered, at + 5, at + 5 + length);
            listener.message(stream, buffered[at] == 0 ? message : inflate(stream, message));
            at += 5 + length;
        }
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.write(buffered, at, buffered.length - at);
        return rest;
    }

    private byte[] inflate(int stream, byte[] compressed) {
        String encoding = encodings.getOrDefault(stream, "");
        if (!encoding.equals("gzip")) {
            listener.problem("stream " + stream + ": a compressed message in encoding '" + encoding + "' is not decoded");
            return compressed;
        }
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        } catch (IOException e) {
            listener.problem("stream " + stream + ": gzip message not decodable: " + e.getMessage());
            return compressed;
        }
    }
}
