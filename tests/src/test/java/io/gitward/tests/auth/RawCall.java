package io.gitward.tests.auth;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls any gRPC method by its full name with an already serialized request, the way a real client of that
 * method would (one request message, then half-close), and returns how the call ended. One code path for unary
 * and streaming methods, so every served method can be called from a table.
 */
final class RawCall {
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** How a call ended, and the first response message (empty when there was none). */
    record Result(Status status, byte[] firstMessage) {
    }

    private RawCall() {
    }

    /**
     * Calls {@code fullMethodName} and waits for its end. {@code endAfterFirstMessage} is for endless streams
     * (health Watch): the first response counts as OK and the call is cancelled.
     */
    static Result call(Channel channel, String fullMethodName, MethodDescriptor.MethodType type, byte[] request,
            Metadata headers, Duration deadline, boolean endAfterFirstMessage) {
        MethodDescriptor<byte[], byte[]> method = MethodDescriptor.newBuilder(BYTES, BYTES).setType(type)
                .setFullMethodName(fullMethodName).build();
        ClientCall<byte[], byte[]> call = channel.newCall(method,
                CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS));
        CompletableFuture<Status> end = new CompletableFuture<>();
        CompletableFuture<byte[]> first = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                first.complete(message);
                if (endAfterFirstMessage) {
                    end.complete(Status.OK);
                    call.cancel("first message received", null);
                }
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                end.complete(status);
            }
        }, headers);
        call.request(Integer.MAX_VALUE);
        call.sendMessage(request);
        call.halfClose();
        Status status;
        try {
            status = end.get(deadline.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            call.cancel("no end", e);
            status = Status.DEADLINE_EXCEEDED.withDescription("the call did not end within " + deadline).withCause(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.cancel("interrupted", e);
            status = Status.CANCELLED.withCause(e);
        }
        return new Result(status, first.getNow(new byte[0]));
    }
}
