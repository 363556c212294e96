package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.server.GuardedCalls;
import io.gitward.security.server.OffloadedCalls;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A gRPC server that runs calls on its transport threads serves its blocking services through
 * {@link OffloadedCalls}: on a real socket, the handlers of an offloaded service run on the executor, in order,
 * inside the call's context, and a handler that throws ends its call instead of leaving the client waiting. A
 * service left on the transport threads is guarded the same way ({@link GuardedCalls}).
 */
class OffloadedCallsTest {
    private static final String OFFLOADED = "test.Offloaded";
    private static final String ON_TRANSPORT = "test.OnTransport";
    private static final String THREAD_PREFIX = "offload-test-";

    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, THREAD_PREFIX + threads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
                .addService(OffloadedCalls.offload(service(OFFLOADED), executor))
                .addService(GuardedCalls.guard(service(ON_TRANSPORT)))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow();
        assertTrue(server.awaitTermination(10, TimeUnit.SECONDS), "server still running");
        executor.shutdownNow();
    }

    @Test
    @DisplayName("an offloaded service's handler runs on the executor; a transport service's on the transport thread")
    void handlersRunWhereTheirServiceSays() {
        String offloaded = unary(OFFLOADED, "Where", "x");
        String onTransport = unary(ON_TRANSPORT, "Where", "x");

        assertTrue(offloaded.startsWith(THREAD_PREFIX), "offloaded handler ran on " + offloaded);
        assertFalse(onTransport.startsWith(THREAD_PREFIX), "transport handler ran on " + onTransport);
    }

    @Test
    @DisplayName("a client stream's messages reach the offloaded handler in the order they were sent, all of them")
    void messagesArriveInOrder() throws Exception {
        MethodDescriptor<String, String> method = method(OFFLOADED, "Join", MethodDescriptor.MethodType.CLIENT_STREAMING);
        CompletableFuture<String> joined = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(channel.newCall(method,
                CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)), completing(joined));
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            sent.add(Integer.toString(i));
            requests.onNext(Integer.toString(i));
        }
        requests.onCompleted();

        assertEquals(String.join(",", sent), joined.get(20, TimeUnit.SECONDS));
    }

    @Test
    @DisplayName("the handler runs inside the call's context: it sees the client's deadline")
    void contextGoesAlong() {
        String deadline = unary(OFFLOADED, "Deadline", "x");

        assertTrue(deadline.startsWith("deadline in "), deadline);
        long remainingMillis = Long.parseLong(deadline.substring("deadline in ".length()));
        assertTrue(remainingMillis > 0 && remainingMillis <= 20_000, deadline);
    }

    @Test
    @DisplayName("a handler that throws ends its call with UNKNOWN at once, not at the client's deadline")
    void throwingHandlerEndsTheCall() {
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> unary(OFFLOADED, "Throw", "x"));

        assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
        assertFalse(String.valueOf(e.getStatus().getDescription()).contains("boom"), "the exception was sent");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "the call waited for its deadline");
        // The executor goes on serving the next call.
        assertTrue(unary(OFFLOADED, "Where", "x").startsWith(THREAD_PREFIX));
    }

    @Test
    @DisplayName("a guarded transport handler that throws ends its call with the node's own UNKNOWN, not gRPC's")
    void throwingTransportHandlerIsAnsweredByTheNode() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> unary(ON_TRANSPORT, "Throw", "x"));

        assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
        // gRPC's own answer would be "Application error processing RPC", with nothing in the node's log.
        assertEquals("the handler failed (see the node's log)", e.getStatus().getDescription());
        assertFalse(unary(ON_TRANSPORT, "Where", "x").startsWith(THREAD_PREFIX));
    }

    private String unary(String service, String name, String request) {
        return ClientCalls.blockingUnaryCall(channel, method(service, name, MethodDescriptor.MethodType.UNARY),
                CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), request);
    }

    private static MethodDescriptor<String, String> method(String service, String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.newBuilder(TEXT, TEXT).setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name)).build();
    }

    private static ServerServiceDefinition service(String name) {
        return ServerServiceDefinition.builder(name)
                .addMethod(method(name, "Where", MethodDescriptor.MethodType.UNARY),
                        ServerCalls.asyncUnaryCall((request, response) -> reply(response,
                                Thread.currentThread().getName())))
                .addMethod(method(name, "Deadline", MethodDescriptor.MethodType.UNARY),
                        ServerCalls.asyncUnaryCall((request, response) -> {
                            io.grpc.Deadline deadline = Context.current().getDeadline();
                            reply(response, deadline == null ? "no deadline"
                                    : "deadline in " + deadline.timeRemaining(TimeUnit.MILLISECONDS));
                        }))
                .addMethod(method(name, "Throw", MethodDescriptor.MethodType.UNARY),
                        ServerCalls.<String, String>asyncUnaryCall((request, response) -> {
                            throw new IllegalStateException("boom");
                        }))
                .addMethod(method(name, "Join", MethodDescriptor.MethodType.CLIENT_STREAMING),
                        ServerCalls.asyncClientStreamingCall(response -> new StreamObserver<String>() {
                            private final List<String> received = new ArrayList<>();

                            @Override
                            public void onNext(String value) {
                                received.add(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                reply(response, String.join(",", received));
                            }
                        }))
                .build();
    }

    private static void reply(StreamObserver<String> response, String value) {
        response.onNext(value);
        response.onCompleted();
    }

    private static StreamObserver<String> completing(CompletableFuture<String> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(String value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}
