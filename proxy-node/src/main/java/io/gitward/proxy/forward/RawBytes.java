package io.gitward.proxy.forward;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Messages as the bytes that arrived: the proxy never re-serializes a payload, so unknown fields survive. */
final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    static final RawBytes INSTANCE = new RawBytes();

    private RawBytes() {
    }

    @Override
    public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
        try {
            if (stream instanceof KnownLength) {
                // gRPC's message streams know their size: one array, filled in one read, instead of readAllBytes's
                // growing buffers and final copy.
                byte[] message = new byte[stream.available()];
                int read = stream.readNBytes(message, 0, message.length);
                int next = read == message.length ? stream.read() : -1;
                return read == message.length && next < 0 ? message : whatItHolds(message, read, next, stream);
            }
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stream whose length was not what it said: all it holds, as readAllBytes would return it. */
    private static byte[] whatItHolds(byte[] start, int read, int next, InputStream stream) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(start, 0, read);
        if (next >= 0) {
            all.write(next);
        }
        stream.transferTo(all);
        return all.toByteArray();
    }
}
