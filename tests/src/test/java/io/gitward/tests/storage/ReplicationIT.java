package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static io.gitward.tests.storage.Requests.commit;
import static io.gitward.tests.storage.Requests.create;
import static io.gitward.tests.storage.Requests.refUpdate;
import static io.gitward.tests.storage.StorageRpcTest.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.ReplicateFromRequest;
import io.gitward.proto.ReplicationServiceGrpc;
import io.gitward.proto.FetchSnapshotRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.security.identity.Role;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication between two real storage node processes: B pulls from A over mTLS with B's own certificate
 * after A proved the identity the request pins; no token or credential of A is handed to B. A source with the
 * wrong identity is refused before any request reaches it, and once B's certificate is revoked A refuses B.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationIT {
    private static final String PATH = "replicated/project.git";

    @TempDir
    static Path dir;

    private static MiniCluster cluster;
    private static ClusterNode a;
    private static ClusterNode b;
    private static ManagedChannel proxyToA;
    private static ManagedChannel proxyToB;

    @BeforeAll
    static void start() throws Exception {
        cluster = MiniCluster.create(dir, "5");
        cluster.start(NodeSpec.storage("storage-a"), NodeSpec.storage("storage-b"));
        a = cluster.node("storage-a");
        b = cluster.node("storage-b");
        proxyToA = cluster.channel(a, Role.PROXY, "proxy-1");
        proxyToB = cluster.channel(b, Role.PROXY, "proxy-1");
        Repository source = Requests.repository("storage-a", PATH);
        RepositoryServiceGrpc.newBlockingStub(proxyToA).createRepository(CreateRepositoryRequest.newBuilder()
                .setRepository(source).setDefaultBranch("trunk").build());
        OperationServiceGrpc.OperationServiceBlockingStub operations = OperationServiceGrpc.newBlockingStub(proxyToA);
        String first = operations.commitFiles(commit(source, "trunk", "one", create("a.txt", "a\n")).build()).getCommitId();
        operations.commitFiles(commit(source, "trunk", "two", create("b.txt", "b\n")).build());
        operations.commitFiles(commit(source, "feature", "side", create("c.txt", "c\n")).setStartBranch("trunk").build());
        RefServiceGrpc.newBlockingStub(proxyToA).updateReferences(UpdateReferencesRequest.newBuilder()
                .setRepository(source).addUpdates(refUpdate("refs/tags/v1", "", first)).build());
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    @Order(1)
    void bReplicatesFromAWithItsOwnIdentity() {
        String checksum = replicate(a.identity());
        assertEquals(checksumOf(proxyToA, "storage-a"), checksum);
        assertEquals(checksumOf(proxyToB, "storage-b"), checksum);
        assertEquals(refs(gitDir(a)), refs(gitDir(b)));
        assertEquals("refs/heads/trunk", git(gitDir(b), "symbolic-ref", "HEAD").trim());
        fsck(gitDir(b));
        assertTrue(callsFrom(a, "storage-b") > 0, "A saw B itself, not the proxy, fetch the snapshot");

        // Incremental: new commits, a moved tag and a deleted branch on A reach B the same way.
        Repository source = Requests.repository("storage-a", PATH);
        String three = OperationServiceGrpc.newBlockingStub(proxyToA).commitFiles(commit(source, "trunk", "three",
                create("d.txt", "d\n")).build()).getCommitId();
        String feature = git(gitDir(a), "rev-parse", "refs/heads/feature").trim();
        RefServiceGrpc.newBlockingStub(proxyToA).updateReferences(UpdateReferencesRequest.newBuilder().setRepository(source)
                .addUpdates(refUpdate("refs/heads/feature", feature, "0".repeat(40)))
                .addUpdates(refUpdate("refs/tags/v2", "", three)).build());
        assertEquals(checksumOf(proxyToA, "storage-a"), replicate(a.identity()));
        assertEquals(refs(gitDir(a)), refs(gitDir(b)));
        assertFalse(refs(gitDir(b)).contains("refs/heads/feature"));
        fsck(gitDir(b));
    }

    @Test
    @Order(2)
    void aSourceWithTheWrongIdentityIsRefusedBeforeAnyRequest() {
        long before = callsFrom(a, "storage-b");
        String refsBefore = refs(gitDir(b));
        expect(Status.Code.UNAVAILABLE, "storage-impostor", () -> replicate(cluster.spiffeId(Role.STORAGE,
                "storage-impostor")));
        assertEquals(before, callsFrom(a, "storage-b"), "no call from B reached A");
        assertEquals(refsBefore, refs(gitDir(b)));
    }

    @Test
    @Order(3)
    void onlyStorageNodesMayFetchSnapshots() throws Exception {
        expect(Status.Code.PERMISSION_DENIED, "", () -> ReplicationServiceGrpc.newBlockingStub(proxyToA)
                .withDeadlineAfter(10, TimeUnit.SECONDS).fetchSnapshot(FetchSnapshotRequest.newBuilder()
                        .setRepository(Requests.repository("storage-a", PATH)).build()).hasNext());
        ManagedChannel client = cluster.channel(b, Role.CLIENT, "client-1");
        expect(Status.Code.PERMISSION_DENIED, "", () -> MaintenanceServiceGrpc.newBlockingStub(client)
                .withDeadlineAfter(10, TimeUnit.SECONDS).replicateFrom(request(a.identity())));
    }

    @Test
    @Order(4)
    void bWithARevokedCertificateIsRefused() throws Exception {
        Repository source = Requests.repository("storage-a", PATH);
        OperationServiceGrpc.newBlockingStub(proxyToA).commitFiles(commit(source, "trunk", "after revocation",
                create("e.txt", "e\n")).build());
        String refsBefore = refs(gitDir(b));
        cluster.pki().revoke(Role.STORAGE, "storage-b");
        // A reloads its CRL within its reload interval; from then on B's handshakes are refused.
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
                expect(Status.Code.UNAVAILABLE, "storage-a", () -> replicate(a.identity())));
        assertEquals(refsBefore, refs(gitDir(b)));
        fsck(gitDir(b));
        assertTrue(Files.readString(dir.resolve("storage-a.log")).contains("revoked"), "A logged the revoked peer");
    }

    private static ReplicateFromRequest request(String sourceIdentity) {
        return ReplicateFromRequest.newBuilder().setRepository(Requests.repository("storage-b", PATH))
                .setSource(Requests.repository("storage-a", PATH)).setSourceTlsAddress(a.tlsAddress())
                .setSourceIdentity(sourceIdentity).build();
    }

    private static String replicate(String sourceIdentity) {
        return MaintenanceServiceGrpc.newBlockingStub(proxyToB).withDeadlineAfter(60, TimeUnit.SECONDS)
                .replicateFrom(request(sourceIdentity)).getChecksum();
    }

    private static String checksumOf(ManagedChannel channel, String storage) {
        return MaintenanceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .checksum(ChecksumRequest.newBuilder().setRepository(Requests.repository(storage, PATH)).build())
                .getChecksum();
    }

    private static Path gitDir(ClusterNode node) {
        return node.storageRoot().resolve(PATH);
    }

    /** Calls node {@code on} counted from storage node {@code caller}, from its metrics. */
    private static long callsFrom(ClusterNode on, String caller) {
        try {
            String text = SecurityAdminGrpc.newBlockingStub(cluster.channel(on, Role.ADMIN, "metrics-reader"))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).getMetrics(GetMetricsRequest.getDefaultInstance())
                    .getPrometheusText();
            String principal = "principal=\"" + cluster.spiffeId(Role.STORAGE, caller) + "\"";
            return text.lines().filter(line -> line.startsWith("gitward_calls_total{") && line.contains(principal))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
