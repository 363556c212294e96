package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.refs;
import static io.gitward.tests.storage.Requests.commit;
import static io.gitward.tests.storage.Requests.create;
import static io.gitward.tests.storage.StorageRpcTest.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.proto.TransactionContext;
import io.gitward.security.identity.Role;
import io.gitward.storage.tx.TransactionHeader;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code gitward-transaction-bin} header: honoured only from the proxy, checked before any work, and an
 * unreachable coordinator aborts the update with no reference changed.
 */
class TransactionHeaderTest {
    @TempDir
    static Path dir;

    private static StorageNodeFixture node;

    @BeforeAll
    static void start() throws Exception {
        // Direct client access is switched on (insecurely) only so a client can try to send the header at all.
        node = StorageNodeFixture.start(dir, Map.of("security.insecure-allow-direct-client-storage", "true",
                "storage.vote-timeout", "5s"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aClientCannotMakeTheNodeVote() throws Exception {
        Repository repository = node.create("header/client.git");
        Channel client = node.channel(Role.CLIENT, "client-1");
        String before = refs(node.gitDir("header/client.git"));
        expect(Status.Code.PERMISSION_DENIED, "only the proxy", () -> withHeader(client, context(1, "coordinator-1"))
                .commitFiles(commit(repository, "main", "m", create("a", "a")).build()));
        assertEquals(before, refs(node.gitDir("header/client.git")));
        // Without the header the same (insecurely allowed) client call applies locally.
        OperationServiceGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
                .commitFiles(commit(repository, "main", "m", create("a", "a")).build());
    }

    @Test
    void malformedHeadersAreRefusedBeforeAnyWork() {
        Repository repository = node.create("header/malformed.git");
        Path gitDir = node.gitDir("header/malformed.git");
        String before = refs(gitDir);
        expect(Status.Code.INVALID_ARGUMENT, "transaction_id and voter", () -> withHeader(node.proxy(),
                context(1, "coordinator-1").toBuilder().clearVoter().build())
                .commitFiles(commit(repository, "main", "m", create("a", "a")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "gitward-transaction-bin", () -> withHeader(node.proxy(),
                context(1, "coordinator-1").toBuilder().setCoordinatorIdentity("spiffe://other.domain/x").build())
                .commitFiles(commit(repository, "main", "m", create("a", "a")).build()));
        Metadata garbage = new Metadata();
        garbage.put(Metadata.Key.of("gitward-transaction-bin", Metadata.BINARY_BYTE_MARSHALLER), new byte[] {(byte) 0xff, 1});
        expect(Status.Code.INVALID_ARGUMENT, "not a TransactionContext", () -> OperationServiceGrpc.newBlockingStub(
                node.proxy()).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(garbage))
                .withDeadlineAfter(10, TimeUnit.SECONDS).commitFiles(commit(repository, "main", "m", create("a", "a")).build()));
        assertEquals(before, refs(gitDir));
    }

    @Test
    void anUnreachableCoordinatorAbortsWithNothingChanged() throws Exception {
        Repository repository = node.create("header/unreachable.git");
        Path gitDir = node.gitDir("header/unreachable.git");
        node.operations().commitFiles(commit(repository, "main", "base", create("a", "a")).build());
        String before = refs(gitDir);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        TransactionContext context = context(closedPort, "coordinator-1");
        expect(Status.Code.UNAVAILABLE, "nothing was changed", () -> withHeader(node.proxy(), context)
                .commitFiles(commit(repository, "main", "tx", create("b", "b")).build()));
        assertEquals(before, refs(gitDir));
        fsck(gitDir);
    }

    @Test
    void transactionalCommitsRequireTimes() {
        Repository repository = node.create("header/times.git");
        expect(Status.Code.INVALID_ARGUMENT, "required inside a transaction", () -> withHeader(node.proxy(),
                context(1, "coordinator-1")).commitFiles(commit(repository, "main", "m", create("a", "a"))
                .setAuthor(Requests.person("Ada Author", 0).toBuilder().setTimeSet(false).setTimeSeconds(0)).build()));
    }

    static TransactionContext context(int port, String coordinator) {
        return TransactionContext.newBuilder().setTransactionId("tx-1").setVoter(StorageNodeFixture.STORAGE)
                .setCoordinatorTlsAddress("127.0.0.1:" + port)
                .setCoordinatorIdentity("spiffe://cell-1.gitward/coordinator/" + coordinator).build();
    }

    static OperationServiceGrpc.OperationServiceBlockingStub withHeader(Channel channel, TransactionContext context) {
        Metadata headers = new Metadata();
        headers.put(TransactionHeader.KEY, context);
        return OperationServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(
                headers)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }
}
