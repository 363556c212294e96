package io.gitward.proxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An upstream call is driven from several threads — the client's events, the route's decisions — and a gRPC
 * client call throws on a message or half-close after a cancel, and on a second half-close. {@link Upstream}
 * takes each once and drops what the call can no longer take; on a real socket, against a counting service.
 */
class UpstreamTest {
    private static final String SERVICE = "test.Upstream";
    private static final MethodDescriptor<byte[], byte[]> COUNT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Count"))
            .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE).build();

    private final AtomicInteger halfCloses = new AtomicInteger();
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(COUNT, ServerCalls.asyncClientStreamingCall(response -> new StreamObserver<byte[]>() {
                    private int messages;

                    @Override
                    public void onNext(byte[] value) {
                        messages++;
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        halfCloses.incrementAndGet();
                        response.onNext(Integer.toString(messages).getBytes(StandardCharsets.UTF_8));
                        response.onCompleted();
                    }
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        // Connected first: a call on a channel still connecting is buffered and replayed later on another thread,
        // where a second half-close would hang the call instead of throwing here.
        Recorder warmUp = new Recorder();
        Upstream first = open(warmUp);
        first.halfClose();
        assertEquals(Status.Code.OK, warmUp.closed.get(10, TimeUnit.SECONDS).getCode());
        halfCloses.set(0);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow();
        assertTrue(server.awaitTermination(10, TimeUnit.SECONDS), "server still running");
    }

    @Test
    @DisplayName("a second half-close (the route's start and the client's, racing) is dropped; the call ends OK")
    void halfClosedOnce() throws Exception {
        Recorder events = new Recorder();
        Upstream upstream = open(events);

        upstream.send(new byte[] {1});
        upstream.send(new byte[] {2});
        upstream.halfClose();
        upstream.halfClose();
        upstream.send(new byte[] {3});

        assertEquals(Status.Code.OK, events.closed.get(10, TimeUnit.SECONDS).getCode());
        assertEquals("2", events.answer.get(10, TimeUnit.SECONDS), "the message after the half-close was dropped");
        assertEquals(1, halfCloses.get());
    }

    @Test
    @DisplayName("after a cancel (a secondary cut off by the route), a message and a half-close are dropped")
    void nothingAfterACancel() throws Exception {
        Recorder events = new Recorder();
        Upstream upstream = open(events);

        upstream.send(new byte[] {1});
        upstream.cancel("the primary answered");
        upstream.send(new byte[] {2});
        upstream.halfClose();
        upstream.cancel("again");

        Status status = events.closed.get(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.CANCELLED, status.getCode());
        assertEquals("the primary answered", status.getDescription());
        assertTrue(upstream.closed());
        assertEquals(0, halfCloses.get());
    }

    private Upstream open(Recorder events) {
        Upstream upstream = new Upstream("storage-x", true, events);
        upstream.start(channel.newCall(COUNT, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)), new Metadata());
        assertNotNull(upstream.storage());
        return upstream;
    }

    /** What the upstream reported. */
    private static final class Recorder implements Upstream.Events {
        final CompletableFuture<String> answer = new CompletableFuture<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();

        @Override
        public void upstreamReady() {
        }

        @Override
        public void upstreamHeaders(Upstream upstream, Metadata headers) {
        }

        @Override
        public void upstreamMessage(Upstream upstream, byte[] message) {
            answer.complete(new String(message, StandardCharsets.UTF_8));
        }

        @Override
        public void upstreamClosed(Upstream upstream, Status status, Metadata trailers) {
            closed.complete(status);
        }
    }
}
