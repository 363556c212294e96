package io.gitward.tests.proxy;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.AuditRow;
import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.FetchSnapshotRequest;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetClusterStatusRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.ReplicationServiceGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.proto.StorageNodeStatus;
import io.gitward.security.identity.Role;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.storage.GitCli;
import io.gitward.tests.storage.Requests;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One proxy (embedded coordinator) in front of three storage node processes, phase 6: every streaming kind
 * through the proxy to real replicas, refused methods, a secondary that misses writes and is repaired when it
 * returns, and a primary killed with SIGKILL under a write burst — replaced by an up-to-date secondary with no
 * acknowledged write lost.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyClusterIT extends ProxyClusterBase {
    @Override
    protected List<NodeSpec> coordinator() {
        return List.of();
    }

    @Override
    protected NodeSpec proxySpec() {
        return NodeSpec.proxy("proxy-1", STORAGES.toArray(String[]::new));
    }

    @Test
    @Order(2)
    void methodsThatAreNotPublicAreRefusedByTheProxy() {
        String path = "cluster/refused.git";
        clients.create(path);
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> MaintenanceServiceGrpc.newBlockingStub(clients.client()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .checksum(ChecksumRequest.newBuilder().setRepository(ProxyClients.repository(path)).build()),
                () -> ReplicationServiceGrpc.newBlockingStub(clients.client()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .fetchSnapshot(FetchSnapshotRequest.newBuilder().setRepository(ProxyClients.repository(path))
                                .build()).hasNext())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
            assertTrue(e.getStatus().getCode() == Status.Code.PERMISSION_DENIED
                    || e.getStatus().getCode() == Status.Code.UNIMPLEMENTED, e.getStatus().toString());
        }
        // The refusals are in the proxy's audit, under the client's own identity.
        String client = cluster.spiffeId(Role.CLIENT, "client-1");
        List<AuditRow> denied = SecurityAdminGrpc.newBlockingStub(clients.admin().getChannel())
                .withDeadlineAfter(10, TimeUnit.SECONDS).getAudit(GetAuditRequest.getDefaultInstance()).getRowsList()
                .stream().filter(row -> row.getPrincipal().equals(client) && row.getDecision().equals("deny")).toList();
        assertTrue(denied.stream().anyMatch(row -> row.getScope().equals("MAINTENANCE")), denied.toString());
        assertTrue(denied.stream().anyMatch(row -> row.getScope().equals("INTERNAL")), denied.toString());
    }

    @Test
    @Order(3)
    void aSecondaryDownDuringWritesIsOutdatedThenRepaired() throws Exception {
        String path = "cluster/secondary.git";
        clients.create(path);
        clients.commit(path, "before.txt", "before\n");
        String primary = clients.state(path).getPrimary();
        ClusterNode secondary = cluster.node(STORAGES.stream().filter(name -> !name.equals(primary)).findFirst()
                .orElseThrow());
        secondary.kill();
        awaitHealthy(secondary.name(), false);
        for (int i = 0; i < 5; i++) {
            clients.commit(path, "while-down-" + i + ".txt", "written while " + secondary.name() + " was down\n");
        }
        RepositoryStateResponse state = clients.state(path);
        assertTrue(state.getReplicasList().stream().anyMatch(r -> r.getStorage().equals(secondary.name())
                && !r.getUpToDate()), state.toString());

        secondary.start(START);
        RepositoryStateResponse converged = clients.awaitConverged(path, Duration.ofSeconds(60));
        assertEquals(1, STORAGES.stream().map(name -> refs(gitDir(name, path))).distinct().count(), converged.toString());
        fsck(gitDir(secondary.name(), path));
        assertTrue(git(gitDir(secondary.name(), path), "ls-tree", "--name-only", "main").contains("while-down-4.txt"));
    }

    @Test
    @Order(4)
    void aKilledPrimaryIsReplacedAndNoAcknowledgedWriteIsLost() throws Exception {
        String path = "cluster/failover.git";
        clients.create(path);
        clients.commit(path, "base.txt", "base\n");
        String oldPrimary = clients.state(path).getPrimary();
        List<String> acknowledged = new ArrayList<>();
        int failed = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        int afterKill = 0;
        boolean killed = false;
        for (int i = 0; i < 200 && System.nanoTime() < deadline && afterKill < 5; i++) {
            try {
                acknowledged.add(clients.commit(path, "burst-" + i + ".txt", "burst " + i + "\n").getCommitId());
                if (killed) {
                    afterKill++;
                }
            } catch (StatusRuntimeException e) {
                failed++;
            }
            if (!killed && acknowledged.size() == 5) {
                cluster.node(oldPrimary).kill(); // SIGKILL, between two acknowledged writes
                killed = true;
            }
        }
        assertTrue(afterKill >= 5, "writes resumed after the primary died (acknowledged " + acknowledged.size()
                + ", failed " + failed + ")");
        RepositoryStateResponse state = clients.state(path);
        assertNotEquals(oldPrimary, state.getPrimary(), "a new primary was elected");
        String last = acknowledged.get(acknowledged.size() - 1);
        for (var replica : state.getReplicasList()) {
            if (replica.getUpToDate()) {
                Path gitDir = gitDir(replica.getStorage(), path);
                for (String commit : acknowledged) {
                    assertEquals(0, GitCli.run(gitDir, "merge-base", "--is-ancestor", commit, "main").exitCode(),
                            "acknowledged commit " + commit + " is on main of " + replica.getStorage());
                }
                assertEquals(last, git(gitDir, "rev-parse", "main").trim());
            }
        }
        ProxyClients.assertNoWronglyUpToDateReplica(state);

        cluster.node(oldPrimary).start(START);
        clients.awaitConverged(path, Duration.ofSeconds(60));
        assertEquals(last, git(gitDir(oldPrimary, path), "rev-parse", "main").trim(), "the old primary caught up");
    }

    @Test
    @Order(5)
    void aCreationThatFailsOnItsPrimaryLeavesNothingBehind() {
        // storage-1 holds a stray copy of each path, made outside the cluster. Where storage-1 is the primary the
        // creation fails there: the client is refused, the cluster forgets the path and the other replicas drop the
        // copies they made. Where it is a secondary, its stray copy is rebuilt from the primary.
        boolean refused = false;
        boolean rebuilt = false;
        for (int i = 0; i < 16 && !(refused && rebuilt); i++) {
            String path = "cluster/stray-" + i + ".git";
            git(gitDir("storage-1", path), "init", "--bare", "--quiet");
            try {
                clients.create(path);
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode(), e.getStatus().toString());
                StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> clients.state(path));
                assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode(), "the cluster forgot " + path);
                for (String storage : List.of("storage-2", "storage-3")) {
                    assertFalse(Files.exists(gitDir(storage, path)), storage + " dropped its copy of " + path);
                }
                assertTrue(Files.isDirectory(gitDir("storage-1", path)), "the stray copy is not the cluster's");
                refused = true;
                continue;
            }
            RepositoryStateResponse state = clients.awaitConverged(path, Duration.ofSeconds(60));
            assertNotEquals("storage-1", state.getPrimary());
            rebuilt = true;
        }
        assertTrue(refused && rebuilt, "both cases came up (refused " + refused + ", rebuilt " + rebuilt + ")");
    }

    @Test
    @Order(6)
    void aTransactionalCommitWithoutCommitTimesIsRefusedAndChangesNothing() {
        String path = "cluster/no-times.git";
        clients.create(path);
        clients.commit(path, "base.txt", "base\n");
        RepositoryStateResponse before = clients.state(path);
        CommitFilesRequest.Builder request = Requests.commit(ProxyClients.repository(path), "main", "no times",
                Requests.create("late.txt", "late\n"));
        request.setAuthor(request.getAuthor().toBuilder().clearTimeSeconds().setTimeSet(false))
                .setCommitter(request.getCommitter().toBuilder().clearTimeSeconds().setTimeSet(false));
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> OperationServiceGrpc
                .newBlockingStub(clients.client()).withDeadlineAfter(20, TimeUnit.SECONDS).commitFiles(request.build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), refused.getStatus().toString());
        RepositoryStateResponse after = clients.state(path);
        assertEquals(before.getGeneration(), after.getGeneration());
        assertTrue(ProxyClients.converged(after), after.toString());
    }

    private void awaitHealthy(String storage, boolean healthy) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (StorageNodeStatus node : clients.admin().getClusterStatus(GetClusterStatusRequest.getDefaultInstance())
                    .getStoragesList()) {
                if (node.getName().equals(storage)) {
                    return node.getHealthy() == healthy;
                }
            }
            return false;
        });
    }

    static List<String> listRefs(ProxyClients clients, String path) {
        List<String> names = new ArrayList<>();
        RefServiceGrpc.newBlockingStub(clients.client()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .listRefs(ListRefsRequest.newBuilder().setRepository(ProxyClients.repository(path)).build())
                .forEachRemaining(response -> response.getReferencesList().forEach(r -> names.add(r.getName())));
        return names;
    }
}
