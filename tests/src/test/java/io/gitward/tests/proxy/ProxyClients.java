package io.gitward.tests.proxy;

import io.gitward.proto.CommitFilesResponse;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.GetRepositoryStateRequest;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.ProxyAdminGrpc;
import io.gitward.proto.ReplicaState;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** Calls through a proxy as a client, and the proxy's admin view, shared by the proxy end-to-end tests. */
public final class ProxyClients {
    private final ManagedChannel client;
    private final ManagedChannel admin;

    public ProxyClients(ManagedChannel client, ManagedChannel admin) {
        this.client = client;
        this.admin = admin;
    }

    public static Repository repository(String path) {
        return Requests.repository(MiniCluster.VIRTUAL_STORAGE, path);
    }

    public ManagedChannel client() {
        return client;
    }

    public Repository create(String path) {
        RepositoryServiceGrpc.newBlockingStub(client).withDeadlineAfter(30, TimeUnit.SECONDS)
                .createRepository(CreateRepositoryRequest.newBuilder().setRepository(repository(path)).build());
        return repository(path);
    }

    /** One commit on main adding {@code file}; deadline 20 s. */
    public CommitFilesResponse commit(String path, String file, String content) {
        return OperationServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .commitFiles(Requests.commit(repository(path), "main", "add " + file, Requests.create(file, content))
                        .build());
    }

    public RepositoryStateResponse state(String path) {
        return ProxyAdminGrpc.newBlockingStub(admin).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getRepositoryState(GetRepositoryStateRequest.newBuilder().setRelativePath(path).build());
    }

    public ProxyAdminGrpc.ProxyAdminBlockingStub admin() {
        return ProxyAdminGrpc.newBlockingStub(admin).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Waits until every replica is up to date with the same checksum, as the proxy's admin API reports. */
    public RepositoryStateResponse awaitConverged(String path, Duration timeout) {
        RepositoryStateResponse[] last = new RepositoryStateResponse[1];
        try {
            Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(300)).until(() -> {
                last[0] = state(path);
                return converged(last[0]);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // What the proxy last said is the diagnosis: which replica is behind, queued repairs, checksums.
            throw new AssertionError(path + " did not converge within " + timeout + "; last state: " + last[0], e);
        }
        return last[0];
    }

    public static boolean converged(RepositoryStateResponse state) {
        String checksum = state.getReplicas(0).getChecksum();
        for (ReplicaState replica : state.getReplicasList()) {
            if (!replica.getUpToDate() || replica.getChecksum().isEmpty() || !replica.getChecksum().equals(checksum)) {
                return false;
            }
        }
        return true;
    }

    /** No replica is marked up to date while its references differ from the primary's. */
    public static void assertNoWronglyUpToDateReplica(RepositoryStateResponse state) {
        String primary = state.getReplicasList().stream().filter(r -> r.getStorage().equals(state.getPrimary()))
                .map(ReplicaState::getChecksum).findFirst().orElseThrow();
        for (ReplicaState replica : state.getReplicasList()) {
            if (replica.getUpToDate() && !replica.getChecksum().isEmpty() && !replica.getChecksum().equals(primary)) {
                throw new AssertionError(replica.getStorage() + " is marked up to date but differs from primary "
                        + state.getPrimary() + ":\n" + state);
            }
        }
    }
}
