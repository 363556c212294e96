package io.gitward.tests.limits;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One attacker connection speaking HTTP/2 frame by frame. A reader thread takes what the node sends: acknowledges
 * its SETTINGS (as any client must), records GOAWAY, RST_STREAM, response headers (decoded with Netty's HPACK
 * decoder) and PING acknowledgements, and notices when the node closes the socket.
 */
final class RawHttp2Connection implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final Thread reader;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final CountDownLatch pingAcked = new CountDownLatch(1);
    private final List<Http2Frames.Frame> goAways = new CopyOnWriteArrayList<>();
    private final List<Response> responses = new CopyOnWriteArrayList<>();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, 1 << 20);
    private volatile boolean closedByPeer;

    /** What the node answered on one stream: decoded response headers, or a reset code. */
    record Response(int stream, Http2Headers headers, long resetCode, boolean last) {
        String describe() {
            if (headers == null) {
                return "RST_STREAM " + resetCode;
            }
            CharSequence status = headers.status();
            CharSequence grpc = headers.get("grpc-status");
            return (status == null ? "" : "HTTP " + status) + (grpc == null ? "" : " grpc-status " + grpc);
        }
    }

    private RawHttp2Connection(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        socket.setSoTimeout(0);
        this.reader = new Thread(this::read, "raw-h2-reader");
        reader.setDaemon(true);
    }

    /** Connects, sends the preface and SETTINGS and starts reading. */
    static RawHttp2Connection open(Endpoint endpoint, Duration timeout) throws IOException {
        RawHttp2Connection connection = new RawHttp2Connection(endpoint.connect(timeout));
        // The preface first: the reader acknowledges the node's SETTINGS, which must not come before it.
        connection.write(Http2Frames.preface());
        connection.reader.start();
        return connection;
    }

    synchronized void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void write(ByteArrayOutputStream frames) throws IOException {
        write(frames.toByteArray());
    }

    private void read() {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        boolean blockEndsStream = false;
        try {
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
            while (true) {
                Http2Frames.Frame frame = Http2Frames.read(in);
                switch (frame.type()) {
                    case Http2Frames.SETTINGS -> {
                        if ((frame.flags() & Http2Frames.ACK) == 0) {
                            ByteArrayOutputStream ack = new ByteArrayOutputStream();
                            Http2Frames.settingsAck(ack);
                            write(ack);
                        }
                    }
                    case Http2Frames.GOAWAY -> goAways.add(frame);
                    case Http2Frames.PING -> {
                        if ((frame.flags() & Http2Frames.ACK) != 0) {
                            pingAcked.countDown();
                        }
                    }
                    case Http2Frames.RST_STREAM -> responses.add(new Response(frame.stream(), null,
                            ((frame.payload()[0] & 0xffL) << 24) | ((frame.payload()[1] & 0xff) << 16)
                                    | ((frame.payload()[2] & 0xff) << 8) | (frame.payload()[3] & 0xff), true));
                    case Http2Frames.HEADERS, Http2Frames.CONTINUATION -> {
                        if (frame.type() == Http2Frames.HEADERS) {
                            blockEndsStream = (frame.flags() & Http2Frames.END_STREAM) != 0;
                        }
                        block.writeBytes(headerFragment(frame));
                        if ((frame.flags() & Http2Frames.END_HEADERS) != 0) {
                            responses.add(new Response(frame.stream(), decode(frame.stream(), block.toByteArray()), -1,
                                    blockEndsStream));
                            block.reset();
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            closedByPeer = true;
        } finally {
            ended.countDown();
        }
    }

    /** HEADERS may carry padding and priority fields before the block; the node sends neither, but be exact. */
    private static byte[] headerFragment(Http2Frames.Frame frame) {
        byte[] payload = frame.payload();
        if (frame.type() != Http2Frames.HEADERS) {
            return payload;
        }
        int start = 0;
        int end = payload.length;
        if ((frame.flags() & 0x8) != 0) {
            end -= payload[0] & 0xff;
            start++;
        }
        if ((frame.flags() & 0x20) != 0) {
            start += 5;
        }
        return java.util.Arrays.copyOfRange(payload, start, end);
    }

    private Http2Headers decode(int stream, byte[] bytes) throws IOException {
        ByteBuf buffer = Unpooled.wrappedBuffer(bytes);
        try {
            return decoder.decodeHeaders(stream, buffer);
        } catch (Http2Exception e) {
            throw new IOException("cannot decode the node's headers: " + e.getMessage(), e);
        } finally {
            buffer.release();
        }
    }

    /**
     * Sends a PING and waits for its acknowledgement: the connection still serves. False as soon as the node sent a
     * GOAWAY or closed, or after {@code timeout}.
     */
    boolean pingAnswered(Duration timeout) throws InterruptedException {
        ByteArrayOutputStream ping = new ByteArrayOutputStream();
        Http2Frames.ping(ping, 0x0102030405060708L);
        try {
            write(ping);
        } catch (IOException e) {
            return false;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!sawEnd() && System.nanoTime() < deadline) {
            if (pingAcked.await(20, TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return false;
    }

    /** Waits until the node sent a GOAWAY or closed, at most {@code timeout}; true when it did. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!goAways.isEmpty() || ended.getCount() == 0) {
                return true;
            }
            ended.await(20, TimeUnit.MILLISECONDS);
        }
        return !goAways.isEmpty() || ended.getCount() == 0;
    }

    /**
     * Waits for the end of {@code stream} (trailers or a reset), a GOAWAY or the close; returns the last response on
     * the stream (headers that did not end it when nothing else came), null when none came.
     */
    Response awaitResponse(int stream, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Response latest = null;
        while (System.nanoTime() < deadline) {
            for (Response response : responses) {
                if (response.stream() == stream) {
                    latest = response;
                    if (response.last()) {
                        return response;
                    }
                }
            }
            if (!goAways.isEmpty() || ended.getCount() == 0) {
                return latest;
            }
            ended.await(10, TimeUnit.MILLISECONDS);
        }
        return latest;
    }

    boolean sawEnd() {
        return !goAways.isEmpty() || ended.getCount() == 0;
    }

    Http2Frames.Frame goAway() {
        return goAways.isEmpty() ? null : goAways.get(0);
    }

    boolean closedByPeer() {
        return closedByPeer;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing an attacker socket the node may already have closed.
        }
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
