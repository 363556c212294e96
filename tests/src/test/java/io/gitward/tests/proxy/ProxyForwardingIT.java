package io.gitward.tests.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.FetchSnapshotRequest;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.ReplicationServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.TransactionContext;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy's forwarding, a proxy process in front of a stand-in storage process that echoes what it receives
 * (phase 6, real mTLS):
 * payloads pass byte for byte in every streaming kind — unknown fields included — with deadlines, cancellation,
 * status, trailers and response headers intact; only allowlisted headers reach storage; methods that are not
 * PUBLIC are never forwarded.
 */
class ProxyForwardingIT {
    private static final String STORAGE = "default";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    @TempDir
    static Path dir;

    private static MiniCluster cluster;
    private static ClusterNode echo;
    private static ClusterNode proxy;
    private static ManagedChannel client;

    @BeforeAll
    static void start() throws Exception {
        cluster = MiniCluster.create(dir, "6");
        echo = cluster.start(NodeSpec.testProcess(NodeKind.STORAGE, "storage-1", EchoStorage.class)).get(0);
        proxy = cluster.start(NodeSpec.proxy("proxy-1", "storage-1")).get(0);
        client = cluster.channel(proxy, Role.CLIENT, "client-1");
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @ParameterizedTest(name = "{0}: an unknown field arrives byte-identical, both ways")
    @ValueSource(strings = {"gitward.RefService/FindRef", "gitward.RefService/ListRefs",
        "gitward.SmartHttpService/PostUploadPack", "gitward.RefService/UpdateReferences",
        "gitward.RepositoryService/CreateRepositoryFromBundle"})
    void payloadsPassByteForByte(String method) throws Exception {
        boolean creates = method.endsWith("CreateRepositoryFromBundle");
        String path = creates ? "echo/bundle-" + SEQUENCE.incrementAndGet() + ".git" : known();
        List<byte[]> sent = List.of(message(path, "first"), continuation("second"), continuation("third"));
        MethodDescriptor<byte[], byte[]> descriptor = descriptor(method);
        List<byte[]> outgoing = descriptor.getType().clientSendsOneMessage() ? sent.subList(0, 1) : sent;
        List<byte[]> received = call(descriptor, outgoing, new Metadata(), 30_000);

        EchoJournal.Seen seen = lastSeen(method);
        assertEquals(outgoing.size(), seen.messages().size());
        for (int i = 0; i < outgoing.size(); i++) {
            assertArrayEquals(outgoing.get(i), seen.messages().get(i), "request message " + i + " of " + method);
        }
        if (descriptor.getType() == MethodDescriptor.MethodType.CLIENT_STREAMING) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            outgoing.forEach(all::writeBytes);
            assertEquals(1, received.size());
            assertArrayEquals(all.toByteArray(), received.get(0));
        } else {
            assertEquals(outgoing.size(), received.size());
            for (int i = 0; i < outgoing.size(); i++) {
                assertArrayEquals(outgoing.get(i), received.get(i), "response message " + i + " of " + method);
            }
        }
    }

    @Test
    void onlyAllowlistedHeadersReachStorageAndTheProxyAddsItsTransaction() throws Exception {
        Metadata headers = new Metadata();
        headers.put(EchoStorage.REQUEST_ID, "req-42");
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-0af7651916cd43dd8448eb211c80319c"
                + "-b7ad6b7169203331-01");
        headers.put(Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER), "By=spiffe://x;Hash=1");
        headers.put(Metadata.Key.of("gitward-forwarded-identity", Metadata.ASCII_STRING_MARSHALLER), "storage/storage-1");
        headers.put(Metadata.Key.of("x-custom", Metadata.ASCII_STRING_MARSHALLER), "dropped");
        headers.put(Metadata.Key.of("gitward-transaction-bin", Metadata.BINARY_BYTE_MARSHALLER),
                TransactionContext.newBuilder().setTransactionId("forged").setVoter("storage-1").build().toByteArray());
        call(descriptor("gitward.RefService/UpdateReferences"), List.of(message(known(), "x")), headers, 30_000);

        Metadata seen = lastSeen("gitward.RefService/UpdateReferences").headers();
        assertEquals("req-42", seen.get(EchoStorage.REQUEST_ID));
        assertEquals("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                seen.get(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER)));
        for (String dropped : List.of("x-forwarded-client-cert", "gitward-forwarded-identity", "x-custom", "authorization")) {
            assertNull(seen.get(Metadata.Key.of(dropped, Metadata.ASCII_STRING_MARSHALLER)), dropped + " was forwarded");
        }
        TransactionContext transaction = TransactionContext.parseFrom(seen.get(Metadata.Key.of("gitward-transaction-bin",
                Metadata.BINARY_BYTE_MARSHALLER)));
        assertFalse(transaction.getTransactionId().equals("forged"), "the client's header was replaced by the proxy's own");
        assertEquals("storage-1", transaction.getVoter());
        assertEquals(cluster.spiffeId(Role.PROXY, "proxy-1"), transaction.getCoordinatorIdentity());
        assertEquals(proxy.tlsAddress(), transaction.getCoordinatorTlsAddress());
        assertEquals("", transaction.getLegacyToken(), "no secret in the transaction header at phase 6");
    }

    @Test
    void statusTrailersAndResponseHeadersPassThrough() throws Exception {
        Metadata headers = new Metadata();
        headers.put(EchoStorage.REQUEST_ID, "fail");
        StatusRuntimeException failed = assertThrows(StatusRuntimeException.class, () -> RepositoryServiceGrpc
                .newBlockingStub(client).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(30, TimeUnit.SECONDS).repositoryExists(RepositoryExistsRequest.newBuilder()
                        .setRepository(repository(known())).build()));
        assertEquals(Status.Code.ABORTED, failed.getStatus().getCode());
        assertEquals("told to fail", failed.getStatus().getDescription());
        assertEquals("echoed 1 message(s)", failed.getTrailers().get(EchoStorage.DETAIL));

        AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        RepositoryServiceGrpc.newBlockingStub(client).withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(
                responseHeaders, trailers)).withDeadlineAfter(30, TimeUnit.SECONDS).repositoryExists(
                        RepositoryExistsRequest.newBuilder().setRepository(repository(known())).build());
        assertEquals("yes", responseHeaders.get().get(EchoStorage.ECHO));
        assertEquals("echoed 1 message(s)", trailers.get().get(EchoStorage.DETAIL));
    }

    @Test
    void deadlinesAndCancellationReachStorage() throws Exception {
        Metadata headers = new Metadata();
        headers.put(EchoStorage.REQUEST_ID, "sleep");
        int before = seen().size();
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(
                descriptor("gitward.RefService/FindRef"), List.of(message(known(), "x")), headers, 1_500));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        EchoJournal.Seen expired = awaitCall(before, "gitward.RefService/FindRef", EchoJournal.Seen::cancelled);
        assertTrue(expired.deadlineMillis() > 0 && expired.deadlineMillis() <= 1_500,
                "storage got the client's deadline, less the time spent on the way: " + expired.deadlineMillis() + " ms");

        // A streaming call the client cancels: storage sees the cancellation too.
        before = seen().size();
        ClientCall<byte[], byte[]> call = client.newCall(descriptor("gitward.SmartHttpService/PostUploadPack"),
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, headers);
        call.request(10);
        call.sendMessage(message(known(), "x"));
        awaitCall(before, "gitward.SmartHttpService/PostUploadPack", seen -> seen.messages().size() == 1);
        call.cancel("the client gives up", null);
        assertEquals(Status.Code.CANCELLED, closed.get(10, TimeUnit.SECONDS).getCode());
        EchoJournal.Seen cancelled = awaitCall(before, "gitward.SmartHttpService/PostUploadPack",
                EchoJournal.Seen::cancelled);
        assertTrue(cancelled.deadlineMillis() > 25_000, cancelled.deadlineMillis() + " ms");
    }

    @Test
    void methodsThatAreNotPublicAreNeverForwarded() throws Exception {
        Repository repository = repository(known());
        byte[] request = message(known(), "x");
        int calls = seen().size();
        for (Executable attempt : List.<Executable>of(
                () -> MaintenanceServiceGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .checksum(ChecksumRequest.newBuilder().setRepository(repository).build()),
                () -> ReplicationServiceGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .fetchSnapshot(FetchSnapshotRequest.newBuilder().setRepository(repository).build()).hasNext(),
                () -> ClientCalls.blockingUnaryCall(client, MethodDescriptor.<byte[], byte[]>newBuilder()
                        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("gitward.RefService/Unannotated")
                        .setRequestMarshaller(EchoStorage.RAW).setResponseMarshaller(EchoStorage.RAW).build(),
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request))) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, attempt);
            assertTrue(e.getStatus().getCode() == Status.Code.PERMISSION_DENIED
                    || e.getStatus().getCode() == Status.Code.UNIMPLEMENTED, e.getStatus().toString());
        }
        assertEquals(calls, seen().size(), "nothing reached storage");
        assertTrue(io.gitward.proxy.forward.ProxyServices.forwardedMethods(MethodRegistry.instance())
                .contains("gitward.RefService/FindRef"));
    }

    @Test
    void badTargetsAreRefusedByTheProxy() throws Exception {
        String path = known();
        byte[] unknownTarget = message("nope/never.git", "x");
        StatusRuntimeException wrongStorage = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                client, descriptor("gitward.RefService/FindRef"), CallOptions.DEFAULT.withDeadlineAfter(10,
                        TimeUnit.SECONDS), FindRefRequest.newBuilder().setRepository(Repository.newBuilder()
                        .setStorageName("storage-1").setRelativePath(path)).build().toByteArray()));
        assertEquals(Status.Code.INVALID_ARGUMENT, wrongStorage.getStatus().getCode());
        assertTrue(wrongStorage.getStatus().getDescription().contains("storage_name"));
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                client, descriptor("gitward.RefService/FindRef"), CallOptions.DEFAULT.withDeadlineAfter(10,
                        TimeUnit.SECONDS), unknownTarget));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                client, descriptor("gitward.RefService/FindRef"), CallOptions.DEFAULT.withDeadlineAfter(10,
                        TimeUnit.SECONDS), new byte[] {(byte) 0xff, 0x01}));
        assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
    }

    // ---- helpers ----

    private static String known;

    /** A repository the proxy knows (created through it once). */
    private static synchronized String known() throws Exception {
        if (known == null) {
            known = "echo/known.git";
            RepositoryServiceGrpc.newBlockingStub(client).withDeadlineAfter(30, TimeUnit.SECONDS).createRepository(
                    CreateRepositoryRequest.newBuilder().setRepository(repository(known)).build());
        }
        return known;
    }

    private static Repository repository(String path) {
        return Repository.newBuilder().setStorageName(STORAGE).setRelativePath(path).build();
    }

    /** Field 1 = the repository, field 2 = a string, plus unknown fields 999 (varint) and 1000 (bytes). */
    private static byte[] message(String path, String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        coded.writeMessage(1, repository(path));
        coded.writeString(2, text);
        coded.writeUInt64(999, 1234567890123L);
        coded.writeBytes(1000, ByteString.copyFromUtf8("unknown to every Gitward message"));
        coded.flush();
        return out.toByteArray();
    }

    /** A later message of a stream: data only, with an unknown field. */
    private static byte[] continuation(String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        coded.writeBytes(2, ByteString.copyFromUtf8(text));
        coded.writeFixed32(777, 0xCAFEBABE);
        coded.flush();
        return out.toByteArray();
    }

    private static MethodDescriptor<byte[], byte[]> descriptor(String method) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(EchoStorage.type(MethodRegistry.instance().find(method).orElseThrow()))
                .setFullMethodName(method).setRequestMarshaller(EchoStorage.RAW).setResponseMarshaller(EchoStorage.RAW)
                .build();
    }

    private static List<EchoJournal.Seen> seen() {
        return EchoJournal.read(EchoJournal.file(echo.dataDir()));
    }

    private static EchoJournal.Seen lastSeen(String method) {
        EchoJournal.Seen last = null;
        for (EchoJournal.Seen seen : seen()) {
            if (seen.method().equals(method)) {
                last = seen;
            }
        }
        assertTrue(last != null, method + " never reached storage");
        return last;
    }

    /** Waits for a call to {@code method} after the first {@code skip} calls that meets {@code condition}. */
    private static EchoJournal.Seen awaitCall(int skip, String method, Predicate<EchoJournal.Seen> condition) {
        AtomicReference<EchoJournal.Seen> found = new AtomicReference<>();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<EchoJournal.Seen> all = seen();
            for (EchoJournal.Seen seen : all.subList(Math.min(skip, all.size()), all.size())) {
                if (seen.method().equals(method) && condition.test(seen)) {
                    found.set(seen);
                    return true;
                }
            }
            return false;
        });
        return found.get();
    }

    /** A raw call of any streaming kind; returns the response messages or throws the status. */
    private static List<byte[]> call(MethodDescriptor<byte[], byte[]> descriptor, List<byte[]> messages, Metadata headers,
            long deadlineMillis) throws Exception {
        ClientCall<byte[], byte[]> call = client.newCall(descriptor, CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis,
                TimeUnit.MILLISECONDS));
        List<byte[]> responses = new ArrayList<>();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                synchronized (responses) {
                    responses.add(message);
                }
                call.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, headers);
        call.request(1);
        for (byte[] message : messages) {
            call.sendMessage(message);
        }
        call.halfClose();
        Status status = closed.get(deadlineMillis + 10_000, TimeUnit.MILLISECONDS);
        if (!status.isOk()) {
            throw status.asRuntimeException();
        }
        synchronized (responses) {
            return List.copyOf(responses);
        }
    }
}
