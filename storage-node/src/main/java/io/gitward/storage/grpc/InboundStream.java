package io.gitward.storage.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The request side of a client-streaming call as an InputStream for a blocking consumer (JGit's pack
 * parsers). One message is requested at a time, so a slow consumer holds the client back instead of
 * buffering the whole pack; a cancelled call or a client error ends the stream with an IOException.
 */
final class InboundStream extends InputStream {
    private static final Object END = new Object();

    private final BlockingQueue<Object> chunks = new LinkedBlockingQueue<>();
    private final ServerCallStreamObserver<?> call;
    private ByteString current = ByteString.EMPTY;
    private int position;
    private boolean ended;

    /** @param call the response observer, whose automatic inbound requests the caller has disabled */
    InboundStream(ServerCallStreamObserver<?> call) {
        this.call = call;
    }

    /** Called from the gRPC listener; the next message is requested once this one is consumed. */
    void offer(ByteString data) {
        chunks.add(data);
    }

    void complete() {
        chunks.add(END);
    }

    void fail(Throwable error) {
        chunks.add(new IOException("the client aborted the upload: " + error.getMessage(), error));
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int read = read(one, 0, 1);
        return read < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (position == current.size()) {
            if (ended) {
                return -1;
            }
            Object next = take();
            if (next instanceof IOException error) {
                ended = true;
                throw error;
            }
            if (next == END) {
                ended = true;
                return -1;
            }
            current = (ByteString) next;
            position = 0;
            call.request(1);
        }
        int take = Math.min(length, current.size() - position);
        current.substring(position, position + take).copyTo(buffer, offset);
        position += take;
        return take;
    }

    @Override
    public int available() {
        return current.size() - position;
    }

    private Object take() throws IOException {
        try {
            Object next = chunks.poll(1, java.util.concurrent.TimeUnit.SECONDS);
            while (next == null) {
                if (call.isCancelled()) {
                    throw new IOException("the client cancelled the call");
                }
                next = chunks.poll(1, java.util.concurrent.TimeUnit.SECONDS);
            }
            return next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the request");
        }
    }
}
