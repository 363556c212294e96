package io.gitward.tests.transaction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gitward.proto.CancelTransactionRequest;
import io.gitward.proto.GetTransactionRequest;
import io.gitward.proto.RegisterTransactionRequest;
import io.gitward.proto.TransactionEvent;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.VoteOutcome;
import io.gitward.proto.VotePhase;
import io.gitward.proto.VoteRequest;
import io.gitward.proto.VoteResponse;
import io.gitward.proto.Voter;
import io.gitward.proto.VotingStrategy;
import io.gitward.proto.WatchTransactionRequest;
import io.gitward.proxy.ProxyNode;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.tests.security.TestCluster;
import io.gitward.transaction.CoordinatorNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The transaction service over real mTLS sockets, standalone ({@code coordinator}) and embedded in the proxy:
 * votes only as oneself, registration only by a proxy, stop/cancel/watch only by the proxy that registered.
 */
class TransactionServiceTest {
    @TempDir
    Path dir;

    private TestCluster cluster(String phase) throws Exception {
        return TestCluster.create(dir, "cell-1.gitward", phase, "storage-1", "storage-2", "storage-3");
    }

    private static Supplier<NodeApplication> application(String mode) {
        return mode.equals("standalone") ? CoordinatorNode::new : ProxyNode::new;
    }

    /** The coordinator alone, or a proxy (with one configured storage node it never needs) embedding it. */
    private static io.gitward.tests.security.InProcessNode start(TestCluster cluster, String mode) throws Exception {
        java.util.Map<String, String> extra = mode.equals("standalone") ? java.util.Map.of() : java.util.Map.of(
                "proxy.storages", "[{name = storage-9, tls-address = \"127.0.0.1:9\", health-address = \"127.0.0.1:9\"}]");
        return cluster.start(kind(mode), kind(mode).wireName() + "-1", application(mode), extra);
    }

    private static NodeKind kind(String mode) {
        return mode.equals("standalone") ? NodeKind.COORDINATOR : NodeKind.PROXY;
    }

    @ParameterizedTest(name = "{0}: three storage nodes vote as themselves, all commit, the owner sees every step")
    @ValueSource(strings = {"standalone", "embedded"})
    void threeVotersCommit(String mode) throws Exception {
        try (TestCluster cluster = cluster("6"); var node = start(cluster, mode)) {
            ManagedChannel proxy = cluster.channel(node, Role.PROXY, "proxy-1");
            String id = register(proxy, VotingStrategy.MAJORITY);
            Iterator<TransactionEvent> events = TransactionServiceGrpc.newBlockingStub(proxy)
                    .withDeadlineAfter(30, TimeUnit.SECONDS).watch(WatchTransactionRequest.newBuilder().setTransactionId(id)
                            .build());
            List<CompletableFuture<VoteResponse>> votes = new ArrayList<>();
            for (String voter : List.of("storage-1", "storage-2", "storage-3")) {
                ManagedChannel channel = cluster.channel(node, Role.STORAGE, voter);
                votes.add(CompletableFuture.supplyAsync(() -> vote(channel, id, voter, VotePhase.PREPARED, "update")));
            }
            for (CompletableFuture<VoteResponse> vote : votes) {
                assertEquals(VoteOutcome.COMMIT, vote.get(30, TimeUnit.SECONDS).getOutcome());
            }
            for (String voter : List.of("storage-1", "storage-2", "storage-3")) {
                assertEquals(VoteOutcome.COMMIT, vote(cluster.channel(node, Role.STORAGE, voter), id, voter,
                        VotePhase.COMMITTED, "update").getOutcome());
            }
            List<String> seen = new ArrayList<>();
            events.forEachRemaining(event -> seen.add(event.getVoter() + " " + event.getKind()));
            assertEquals(6, seen.size(), seen.toString());
            assertTrue(seen.containsAll(List.of("storage-1 OUTCOME", "storage-2 OUTCOME", "storage-3 OUTCOME",
                    "storage-1 COMMITTED", "storage-2 COMMITTED", "storage-3 COMMITTED")), seen.toString());
        }
    }

    @ParameterizedTest(name = "{0}: nobody votes as another node, and only storage nodes vote")
    @ValueSource(strings = {"standalone", "embedded"})
    void votesAreBoundToTheVotersIdentity(String mode) throws Exception {
        try (TestCluster cluster = cluster("6"); var node = start(cluster, mode)) {
            String id = register(cluster.channel(node, Role.PROXY, "proxy-1"), VotingStrategy.UNANIMOUS);
            StatusRuntimeException impersonation = assertThrows(StatusRuntimeException.class, () -> vote(
                    cluster.channel(node, Role.STORAGE, "storage-1"), id, "storage-2", VotePhase.PREPARED, "update"));
            assertEquals(Status.Code.PERMISSION_DENIED, impersonation.getStatus().getCode());
            assertTrue(impersonation.getStatus().getDescription().contains("spiffe://cell-1.gitward/storage/storage-2")
                    && impersonation.getStatus().getDescription().contains("storage-1"),
                    impersonation.getStatus().getDescription());
            for (Role role : List.of(Role.CLIENT, Role.PROXY, Role.ADMIN)) {
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> vote(
                        cluster.channel(node, role, "voter-" + role.wireName()), id, "storage-1", VotePhase.PREPARED,
                        "update"));
                assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), role + " voted");
            }
            String metrics = cluster.metrics(node);
            assertTrue(metrics.contains("gitward_transaction_binding_denials_total{what=\"vote-as-other\"} 1"), metrics);
        }
    }

    @ParameterizedTest(name = "{0}: another proxy cannot watch, stop, cancel or read the transaction; an admin can inspect")
    @ValueSource(strings = {"standalone", "embedded"})
    void onlyTheRegisteringProxyControlsATransaction(String mode) throws Exception {
        try (TestCluster cluster = cluster("6"); var node = start(cluster, mode)) {
            String id = register(cluster.channel(node, Role.PROXY, "proxy-1"), VotingStrategy.MAJORITY);
            TransactionServiceGrpc.TransactionServiceBlockingStub other = TransactionServiceGrpc.newBlockingStub(
                    cluster.channel(node, Role.PROXY, "proxy-2")).withDeadlineAfter(10, TimeUnit.SECONDS);
            List<Runnable> attempts = List.of(
                    () -> other.cancel(CancelTransactionRequest.newBuilder().setTransactionId(id).build()),
                    () -> other.watch(WatchTransactionRequest.newBuilder().setTransactionId(id).build()).hasNext(),
                    () -> other.getTransaction(GetTransactionRequest.newBuilder().setTransactionId(id).build()));
            for (Runnable attempt : attempts) {
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, attempt::run);
                assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
                assertTrue(refused.getStatus().getDescription().contains("spiffe://cell-1.gitward/proxy/proxy-1"),
                        refused.getStatus().getDescription());
            }
            assertEquals("spiffe://cell-1.gitward/proxy/proxy-1", TransactionServiceGrpc.newBlockingStub(
                    cluster.channel(node, Role.ADMIN, "ops")).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .inspectTransaction(GetTransactionRequest.newBuilder().setTransactionId(id).build()).getOwner());
            TransactionServiceGrpc.newBlockingStub(cluster.channel(node, Role.PROXY, "proxy-1")).withDeadlineAfter(10,
                    TimeUnit.SECONDS).cancel(CancelTransactionRequest.newBuilder().setTransactionId(id).build());
            StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> vote(
                    cluster.channel(node, Role.STORAGE, "storage-1"), id, "storage-1", VotePhase.PREPARED, "update"));
            assertEquals(Status.Code.FAILED_PRECONDITION, late.getStatus().getCode());
            assertTrue(late.getStatus().getDescription().contains("cancelled"), late.getStatus().getDescription());
        }
    }

    @Test
    void idsStayUniqueAcrossACoordinatorRestart() throws Exception {
        try (TestCluster cluster = cluster("6")) {
            String before;
            try (var node = cluster.start(NodeKind.COORDINATOR, CoordinatorNode::new)) {
                before = register(cluster.channel(node, Role.PROXY, "proxy-1"), VotingStrategy.MAJORITY);
            }
            try (var node = cluster.start(NodeKind.COORDINATOR, CoordinatorNode::new)) {
                ManagedChannel proxy = cluster.channel(node, Role.PROXY, "proxy-1");
                String after = register(proxy, VotingStrategy.MAJORITY);
                assertNotEquals(before, after);
                StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> TransactionServiceGrpc
                        .newBlockingStub(proxy).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getTransaction(GetTransactionRequest.newBuilder().setTransactionId(before).build()));
                assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
            }
        }
    }

    @Test
    void auditModeCountsAVoteAsAnotherNodeButLetsItThrough() throws Exception {
        try (TestCluster cluster = cluster("4"); var node = cluster.start(NodeKind.COORDINATOR, CoordinatorNode::new)) {
            String id = register(cluster.channel(node, Role.PROXY, "proxy-1"), VotingStrategy.PRIMARY_WINS);
            assertEquals(VoteOutcome.COMMIT, vote(cluster.channel(node, Role.STORAGE, "storage-2"), id, "storage-1",
                    VotePhase.PREPARED, "update").getOutcome());
            assertTrue(cluster.metrics(node).contains("gitward_transaction_binding_denials_total{what=\"vote-as-other\"} 1"));
        }
    }

    @Test
    void phaseOneStillWorksWithTheLegacyTokenPath() throws Exception {
        try (TestCluster cluster = cluster("1"); var node = cluster.start(NodeKind.COORDINATOR, CoordinatorNode::new)) {
            ManagedChannel plaintext = cluster.plaintextWithToken(node);
            String id = register(plaintext, VotingStrategy.PRIMARY_WINS);
            assertEquals(VoteOutcome.COMMIT, vote(plaintext, id, "storage-1", VotePhase.PREPARED, "update").getOutcome());
            assertEquals("anonymous", TransactionServiceGrpc.newBlockingStub(plaintext).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getTransaction(GetTransactionRequest.newBuilder().setTransactionId(id).build()).getOwner());
        }
    }

    static String register(ManagedChannel channel, VotingStrategy strategy) {
        RegisterTransactionRequest.Builder request = RegisterTransactionRequest.newBuilder().setPrimary("storage-1")
                .setStrategy(strategy).setTimeoutMillis(20_000).setRepository("group/project.git");
        for (String voter : List.of("storage-1", "storage-2", "storage-3")) {
            request.addVoters(Voter.newBuilder().setName(voter).setWeight(1));
        }
        return TransactionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .register(request.build()).getTransactionId();
    }

    static VoteResponse vote(ManagedChannel channel, String id, String voter, VotePhase phase, String update) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(update.getBytes(StandardCharsets.UTF_8));
            return TransactionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).vote(
                    VoteRequest.newBuilder().setTransactionId(id).setVoter(voter).setPhase(phase)
                            .setHash(ByteString.copyFrom(hash)).build());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
