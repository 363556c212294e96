package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static io.gitward.tests.storage.Requests.commit;
import static io.gitward.tests.storage.Requests.create;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.CancelTransactionRequest;
import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.GetTransactionRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.RegisterTransactionRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.gitward.proto.TransactionContext;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.TransactionState;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.proto.VoteOutcome;
import io.gitward.proto.Voter;
import io.gitward.proto.VoterState;
import io.gitward.proto.VotingStrategy;
import io.gitward.security.identity.Role;
import io.gitward.storage.tx.TransactionHeader;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reference transactions with a real coordinator process and three real storage node processes, the test
 * acting as the proxy (its certificate is a proxy's): agreeing replicas commit identical commits, a replica
 * whose repository really diverged is outvoted and left untouched, and a coordinator that is gone, hung,
 * impersonated or cancels the transaction leaves every replica unchanged. Checked with the git binary.
 */
class StorageTransactionIT {
    private static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");

    @TempDir
    static Path dir;

    private static MiniCluster cluster;
    private static ClusterNode coordinator;
    private static final Map<String, ManagedChannel> AS_PROXY = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = MiniCluster.create(dir, "5");
        List<NodeSpec> specs = new ArrayList<>(List.of(NodeSpec.coordinator("coordinator-1")));
        STORAGES.forEach(name -> specs.add(NodeSpec.storage(name).with("storage.vote-timeout", "4s")));
        cluster.start(specs.toArray(NodeSpec[]::new));
        coordinator = cluster.node("coordinator-1");
        for (String name : STORAGES) {
            AS_PROXY.put(name, cluster.channel(cluster.node(name), Role.PROXY, "proxy-1"));
        }
        AS_PROXY.put("coordinator-1", cluster.channel(coordinator, Role.PROXY, "proxy-1"));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void agreeingReplicasCommitIdenticalCommits() throws Exception {
        String path = "tx/agree.git";
        createEverywhere(path);
        String id = register(VotingStrategy.MAJORITY);
        Map<String, Object> results = onAll(id, OperationServiceGrpc::newBlockingStub,
                (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "Add README", "README.md",
                        "hello\n")).getCommitId());
        Set<Object> commitIds = Set.copyOf(results.values());
        assertEquals(1, commitIds.size(), results.toString());
        String commitId = (String) commitIds.iterator().next();
        assertTrue(ObjectId.isId(commitId), results.toString());
        for (String name : STORAGES) {
            Path gitDir = gitDir(name, path);
            assertEquals(commitId, git(gitDir, "rev-parse", "refs/heads/main").trim(), name);
            fsck(gitDir);
        }
        assertEquals(1, STORAGES.stream().map(name -> refs(gitDir(name, path))).distinct().count());
        assertEquals(1, STORAGES.stream().map(name -> checksum(name, path)).distinct().count());
        // Each replica answers before its COMMITTED vote is taken: the votes follow within moments.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            TransactionState state = transaction(id);
            assertTrue(state.getVotersList().stream().allMatch(VoterState::getCommitted), state.toString());
        });

        // A transactional reference update, and a transactional push, on the same three replicas.
        String tagTx = register(VotingStrategy.UNANIMOUS);
        onAll(tagTx, RefServiceGrpc::newBlockingStub, (stub,
                storage) -> stub.updateReferences(UpdateReferencesRequest.newBuilder()
                .setRepository(repository(storage, path)).addUpdates(Requests.refUpdate("refs/tags/v1", "", commitId)).build()));
        byte[] push = PushBodies.oneCommit(ObjectId.fromString(commitId), "pushed.txt");
        String pushTx = register(VotingStrategy.MAJORITY);
        Map<String, Object> reports = onAll(pushTx, SmartHttpServiceGrpc::newStub, (stub, storage) ->
                ReceivePackReport.push(stub, repository(storage, path), push));
        reports.values().forEach(report -> assertTrue(report.toString().contains("ok refs/heads/main"), reports.toString()));
        assertEquals(1, STORAGES.stream().map(name -> refs(gitDir(name, path))).distinct().count());
        assertTrue(refs(gitDir("storage-1", path)).contains("refs/tags/v1 " + commitId));
        STORAGES.forEach(name -> fsck(gitDir(name, path)));
    }

    @Test
    void aReallyDivergedReplicaIsOutvotedAndUnchanged() throws Exception {
        String path = "tx/diverged.git";
        createEverywhere(path);
        onAll(register(VotingStrategy.UNANIMOUS), OperationServiceGrpc::newBlockingStub,
                (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "base", "a.txt", "a\n")).getCommitId());
        // storage-3 takes a write the others never saw (applied locally, outside any transaction).
        OperationServiceGrpc.newBlockingStub(AS_PROXY.get("storage-3")).withDeadlineAfter(30, TimeUnit.SECONDS)
                .commitFiles(commitRequest("storage-3", path, "stray", "stray.txt", "only here\n"));
        String divergedRefs = refs(gitDir("storage-3", path));

        String id = register(VotingStrategy.MAJORITY);
        Map<String, Object> results = onAll(id, OperationServiceGrpc::newBlockingStub,
                (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "next", "b.txt", "b\n")).getCommitId());
        assertEquals(results.get("storage-1"), results.get("storage-2"), results.toString());
        assertTrue(results.get("storage-3") instanceof Status status && status.getCode() == Status.Code.ABORTED,
                results.toString());
        assertEquals(divergedRefs, refs(gitDir("storage-3", path)), "the outvoted replica is unchanged");
        assertEquals(refs(gitDir("storage-1", path)), refs(gitDir("storage-2", path)));
        STORAGES.forEach(name -> fsck(gitDir(name, path)));
        VoterState outvoted = transaction(id).getVotersList().stream().filter(v -> v.getName().equals("storage-3"))
                .findFirst().orElseThrow();
        assertEquals(VoteOutcome.ABORT, outvoted.getOutcome(), outvoted.toString());
    }

    @Test
    void aCoordinatorThatIsImpersonatedOrCancelsChangesNothing() throws Exception {
        String path = "tx/refused.git";
        createEverywhere(path);
        String before = refs(gitDir("storage-1", path));

        // The header pins an identity the listener at that address cannot prove: no vote is ever sent.
        String id = register(VotingStrategy.MAJORITY);
        Map<String, Object> impersonated = onAll(id, OperationServiceGrpc::newBlockingStub,
                (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "m", "a", "a")).getCommitId(),
                context -> context.toBuilder().setCoordinatorIdentity(cluster.spiffeId(Role.COORDINATOR, "impostor")).build());
        impersonated.values().forEach(result -> assertTrue(result instanceof Status status
                && status.getCode() == Status.Code.UNAVAILABLE, impersonated.toString()));
        assertTrue(transaction(id).getVotersList().stream().noneMatch(VoterState::getVoted), transaction(id).toString());

        String cancelled = register(VotingStrategy.UNANIMOUS);
        TransactionServiceGrpc.newBlockingStub(AS_PROXY.get("coordinator-1")).withDeadlineAfter(10, TimeUnit.SECONDS)
                .cancel(CancelTransactionRequest.newBuilder().setTransactionId(cancelled).setReason("test abort").build());
        Map<String, Object> aborted = onAll(cancelled, OperationServiceGrpc::newBlockingStub,
                (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "m", "a", "a")).getCommitId());
        aborted.values().forEach(result -> assertTrue(result instanceof Status status
                && status.getCode() == Status.Code.ABORTED, aborted.toString()));
        for (String name : STORAGES) {
            assertEquals(before, refs(gitDir(name, path)), name);
            fsck(gitDir(name, path));
        }
    }

    @Test
    void aCoordinatorOutageAbortsWithNoPartialUpdate() throws Exception {
        String path = "tx/outage.git";
        createEverywhere(path);
        ClusterNode doomed = cluster.start(NodeSpec.coordinator("coordinator-2")).get(0);
        ManagedChannel control = cluster.channel(doomed, Role.PROXY, "proxy-1");
        Map<String, String> before = new HashMap<>();
        STORAGES.forEach(name -> before.put(name, refs(gitDir(name, path))));

        // Hung: the process holds its socket but answers nothing, so every vote runs into the vote timeout.
        String hungId = register(control, VotingStrategy.MAJORITY);
        doomed.pause();
        try {
            Map<String, Object> hung = onAll(hungId, doomed, OperationServiceGrpc::newBlockingStub,
                    (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "m", "a", "a")).getCommitId(),
                            Function.identity());
            hung.values().forEach(result -> assertTrue(result instanceof Status status
                    && status.getCode() == Status.Code.UNAVAILABLE, hung.toString()));
        } finally {
            doomed.resume();
        }
        // Gone: the process is killed after registration.
        String goneId = register(control, VotingStrategy.MAJORITY);
        doomed.kill();
        Map<String, Object> gone = onAll(goneId, doomed, OperationServiceGrpc::newBlockingStub,
                (stub, storage) -> stub.commitFiles(commitRequest(storage, path, "m", "a", "a")).getCommitId(),
                        Function.identity());
        gone.values().forEach(result -> assertTrue(result instanceof Status status
                && status.getCode() == Status.Code.UNAVAILABLE, gone.toString()));
        for (String name : STORAGES) {
            assertEquals(before.get(name), refs(gitDir(name, path)), name);
            fsck(gitDir(name, path));
        }
    }

    private static CommitFilesRequest commitRequest(String storage, String path, String message, String file,
            String content) {
        return commit(repository(storage, path), "main", message, create(file, content)).build();
    }

    /** Each replica's copy is addressed by its own storage name, as the proxy rewrites it. */
    private static Repository repository(String storage, String path) {
        return Requests.repository(storage, path);
    }

    private static void createEverywhere(String path) {
        for (String name : STORAGES) {
            RepositoryServiceGrpc.newBlockingStub(AS_PROXY.get(name)).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createRepository(CreateRepositoryRequest.newBuilder().setRepository(repository(name, path)).build());
        }
    }

    private static String register(VotingStrategy strategy) {
        return register(AS_PROXY.get("coordinator-1"), strategy);
    }

    private static String register(ManagedChannel channel, VotingStrategy strategy) {
        RegisterTransactionRequest.Builder request = RegisterTransactionRequest.newBuilder().setStrategy(strategy)
                .setPrimary("storage-1").setTimeoutMillis(30_000).setRepository("tx");
        STORAGES.forEach(name -> request.addVoters(Voter.newBuilder().setName(name).setWeight(1)));
        return TransactionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .register(request.build()).getTransactionId();
    }

    private static TransactionState transaction(String id) {
        return TransactionServiceGrpc.newBlockingStub(AS_PROXY.get("coordinator-1")).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getTransaction(GetTransactionRequest.newBuilder().setTransactionId(id).build());
    }

    private static String checksum(String storage, String path) {
        return MaintenanceServiceGrpc.newBlockingStub(AS_PROXY.get(storage)).withDeadlineAfter(10, TimeUnit.SECONDS)
                .checksum(ChecksumRequest.newBuilder().setRepository(repository(storage, path)).build()).getChecksum();
    }

    private static Path gitDir(String storage, String path) {
        return cluster.node(storage).storageRoot().resolve(path);
    }

    /** A stub-level call made on one replica; the test rewrites the request's storage name per replica. */
    @FunctionalInterface
    interface Call<S> {
        Object apply(S stub, String storage) throws Exception;
    }

    private static <S extends AbstractStub<S>> Map<String, Object> onAll(String transactionId,
            Function<ManagedChannel, S> stubs, Call<S> call) throws Exception {
        return onAll(transactionId, coordinator, stubs, call, Function.identity());
    }

    private static <S extends AbstractStub<S>> Map<String, Object> onAll(String transactionId,
            Function<ManagedChannel, S> stubs, Call<S> call, Function<TransactionContext, TransactionContext> tamper)
            throws Exception {
        return onAll(transactionId, coordinator, stubs, call, tamper);
    }

    /**
     * Sends the call to every replica at once with its {@code gitward-transaction-bin} header, as the proxy does;
     * returns each replica's result, or its failure Status.
     */
    private static <S extends AbstractStub<S>> Map<String, Object> onAll(String transactionId, ClusterNode coordinatorNode,
            Function<ManagedChannel, S> stubs, Call<S> call, Function<TransactionContext, TransactionContext> tamper)
            throws Exception {
        Map<String, CompletableFuture<Object>> futures = new HashMap<>();
        for (String name : STORAGES) {
            TransactionContext context = tamper.apply(TransactionContext.newBuilder().setTransactionId(transactionId)
                    .setVoter(name).setCoordinatorTlsAddress(coordinatorNode.tlsAddress())
                    .setCoordinatorIdentity(coordinatorNode.identity()).build());
            Metadata headers = new Metadata();
            headers.put(TransactionHeader.KEY, context);
            S stub = stubs.apply(AS_PROXY.get(name)).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            futures.put(name, CompletableFuture.supplyAsync(() -> {
                try {
                    return call.apply(stub, name);
                } catch (Exception e) {
                    return Status.fromThrowable(e);
                }
            }));
        }
        Map<String, Object> results = new HashMap<>();
        for (Map.Entry<String, CompletableFuture<Object>> entry : futures.entrySet()) {
            results.put(entry.getKey(), entry.getValue().get(90, TimeUnit.SECONDS));
        }
        return results;
    }
}
