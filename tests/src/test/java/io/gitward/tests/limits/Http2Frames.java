package io.gitward.tests.limits;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * HTTP/2 frames written byte by byte (RFC 9113) and HPACK header blocks made only of literals (RFC 7541 6.2.2),
 * so an attacker can send what a well-behaved codec would refuse to: resets as fast as the socket takes them and
 * header blocks larger than the peer's advertised limit.
 */
final class Http2Frames {
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int PING = 0x6;
    static final int GOAWAY = 0x7;
    static final int CONTINUATION = 0x9;
    static final int END_STREAM = 0x1;
    static final int ACK = 0x1;
    static final int END_HEADERS = 0x4;
    static final long CANCEL = 0x8;
    static final long ENHANCE_YOUR_CALM = 0xb;
    /** The default SETTINGS_MAX_FRAME_SIZE every peer accepts before it says otherwise. */
    static final int MAX_FRAME = 16_384;

    private Http2Frames() {
    }

    /** One frame as received: type, flags, stream and payload. */
    record Frame(int type, int flags, int stream, byte[] payload) {
        /** GOAWAY: the error code. */
        long goAwayError() {
            return ((long) (payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                    | (payload[7] & 0xff);
        }

        String goAwayDebug() {
            return new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8);
        }
    }

    static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24 & 0x7f);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    /** The client preface and an empty SETTINGS frame. */
    static byte[] preface() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PREFACE);
        frame(out, SETTINGS, 0, 0, new byte[0]);
        return out.toByteArray();
    }

    static void settingsAck(ByteArrayOutputStream out) {
        frame(out, SETTINGS, ACK, 0, new byte[0]);
    }

    static void ping(ByteArrayOutputStream out, long data) {
        byte[] payload = new byte[8];
        for (int i = 0; i < 8; i++) {
            payload[i] = (byte) (data >>> (56 - 8 * i));
        }
        frame(out, PING, 0, 0, payload);
    }

    static void rstStream(ByteArrayOutputStream out, int stream, long error) {
        byte[] code = {(byte) (error >>> 24), (byte) (error >>> 16), (byte) (error >>> 8), (byte) error};
        frame(out, RST_STREAM, 0, stream, code);
    }

    static void data(ByteArrayOutputStream out, int stream, byte[] payload, boolean endStream) {
        frame(out, DATA, endStream ? END_STREAM : 0, stream, payload);
    }

    /**
     * The start of a gRPC message (RFC-less, gRPC over HTTP/2): not compressed, {@code declared} bytes long, followed
     * by only {@code sent} of them.
     */
    static byte[] grpcMessageStart(int declared, int sent) {
        byte[] message = new byte[5 + sent];
        message[1] = (byte) (declared >>> 24);
        message[2] = (byte) (declared >>> 16);
        message[3] = (byte) (declared >>> 8);
        message[4] = (byte) declared;
        return message;
    }

    /** A header block split into HEADERS and CONTINUATION frames of at most {@link #MAX_FRAME} bytes. */
    static void headers(ByteArrayOutputStream out, int stream, byte[] block, boolean endStream) {
        int first = Math.min(block.length, MAX_FRAME);
        int flags = (endStream ? END_STREAM : 0) | (first == block.length ? END_HEADERS : 0);
        frame(out, HEADERS, flags, stream, java.util.Arrays.copyOfRange(block, 0, first));
        for (int offset = first; offset < block.length; offset += MAX_FRAME) {
            int end = Math.min(block.length, offset + MAX_FRAME);
            frame(out, CONTINUATION, end == block.length ? END_HEADERS : 0, stream,
                    java.util.Arrays.copyOfRange(block, offset, end));
        }
    }

    /** HPACK: every header as a literal without indexing and with a literal name, no Huffman coding. */
    static byte[] headerBlock(Map<String, String> headers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        headers.forEach((name, value) -> {
            out.write(0x00);
            string(out, name);
            string(out, value);
        });
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
        integer(out, bytes.length, 7);
        out.writeBytes(bytes);
    }

    /** RFC 7541 5.1 with the high bits of the first byte zero (no Huffman, no flags). */
    private static void integer(ByteArrayOutputStream out, int value, int prefixBits) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            out.write(value);
            return;
        }
        out.write(max);
        int rest = value - max;
        while (rest >= 128) {
            out.write((rest & 0x7f) | 0x80);
            rest >>>= 7;
        }
        out.write(rest);
    }

    /** Reads one frame; throws {@link java.io.EOFException} when the peer closed. */
    static Frame read(DataInputStream in) throws IOException {
        int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(type, flags, stream, payload);
    }
}
