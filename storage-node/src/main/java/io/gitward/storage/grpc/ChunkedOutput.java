package io.gitward.storage.grpc;

import java.io.IOException;
import java.io.OutputStream;

/** An OutputStream that hands fixed-size chunks to a consumer (one gRPC message each). */
final class ChunkedOutput extends OutputStream {
    /** Receives one chunk. */
    @FunctionalInterface
    interface ChunkConsumer {
        void accept(byte[] chunk, int length) throws IOException;
    }

    private final byte[] buffer;
    private final ChunkConsumer consumer;
    private int used;

    ChunkedOutput(int chunkSize, ChunkConsumer consumer) {
        this.buffer = new byte[chunkSize];
        this.consumer = consumer;
    }

    @Override
    public void write(int b) throws IOException {
        buffer[used++] = (byte) b;
        if (used == buffer.length) {
            flush();
        }
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        while (length > 0) {
            int take = Math.min(length, buffer.length - used);
            System.arraycopy(data, offset, buffer, used, take);
            used += take;
            offset += take;
            length -= take;
            if (used == buffer.length) {
                flush();
            }
        }
    }

    @Override
    public void flush() throws IOException {
        if (used > 0) {
            consumer.accept(buffer, used);
            used = 0;
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
