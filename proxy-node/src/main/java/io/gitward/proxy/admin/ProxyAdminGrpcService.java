package io.gitward.proxy.admin;

import io.gitward.proto.AcceptDataLossRequest;
import io.gitward.proto.AcceptDataLossResponse;
import io.gitward.proto.ClusterStatus;
import io.gitward.proto.DataLossEntry;
import io.gitward.proto.DataLossReportRequest;
import io.gitward.proto.DataLossReportResponse;
import io.gitward.proto.GetClusterStatusRequest;
import io.gitward.proto.GetRepositoryStateRequest;
import io.gitward.proto.ProxyAdminGrpc;
import io.gitward.proto.QueuedReplication;
import io.gitward.proto.ReplicaState;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.proto.SetPrimaryRequest;
import io.gitward.proto.SetPrimaryResponse;
import io.gitward.proto.StorageNodeStatus;
import io.gitward.proxy.replication.ReplicaCalls;
import io.gitward.proxy.route.HealthMonitor;
import io.gitward.proxy.route.StorageNodes;
import io.gitward.proxy.store.ClusterStore;
import io.gitward.proxy.store.ClusterStore.ReplicationJob;
import io.gitward.proxy.store.RepositoryState;
import io.gitward.proxy.store.RepositoryWrite;
import io.gitward.proxy.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/**
 * {@code gitward.ProxyAdmin}: what operators read (ADMIN_READ) and the two decisions they take (ADMIN_WRITE):
 * choosing a primary among up-to-date replicas, and accepting data loss by naming the authoritative copy.
 */
public final class ProxyAdminGrpcService extends ProxyAdminGrpc.ProxyAdminImplBase {
    private static final Duration CHECKSUM_TIMEOUT = Duration.ofSeconds(5);

    private final String virtualStorage;
    private final String owner;
    private final ClusterStore store;
    private final StorageNodes nodes;
    private final HealthMonitor health;
    private final ReplicaCalls calls;
    private final Duration lockTimeout;

    public ProxyAdminGrpcService(String virtualStorage, String owner, ClusterStore store, StorageNodes nodes,
            HealthMonitor health, ReplicaCalls calls, Duration lockTimeout) {
        this.virtualStorage = virtualStorage;
        this.owner = owner;
        this.store = store;
        this.nodes = nodes;
        this.health = health;
        this.calls = calls;
        this.lockTimeout = lockTimeout;
    }

    @Override
    public void getClusterStatus(GetClusterStatusRequest request, StreamObserver<ClusterStatus> responses) {
        try {
            ClusterStatus.Builder status = ClusterStatus.newBuilder().setVirtualStorage(virtualStorage)
                    .setRepositories(store.repositories().size()).setQueuedReplications(store.jobs().size());
            for (String name : nodes.names()) {
                HealthMonitor.NodeHealth state = health.state(name);
                status.addStorages(StorageNodeStatus.newBuilder().setName(name)
                        .setTlsAddress(nodes.address(name).tls().format()).setHealthy(state.healthy())
                        .setFailedChecks(state.consecutiveFailures()).setLastError(state.lastError()));
            }
            responses.onNext(status.build());
            responses.onCompleted();
        } catch (StoreException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void getRepositoryState(GetRepositoryStateRequest request, StreamObserver<RepositoryStateResponse> responses) {
        try {
            RepositoryState state = known(request.getRelativePath());
            RepositoryStateResponse.Builder response = RepositoryStateResponse.newBuilder()
                    .setRelativePath(state.relativePath()).setPrimary(state.primary()).setGeneration(state.maxGeneration());
            for (var replica : state.generations().entrySet()) {
                ReplicaState.Builder entry = ReplicaState.newBuilder().setStorage(replica.getKey())
                        .setGeneration(replica.getValue()).setUpToDate(state.isUpToDate(replica.getKey()))
                        .setHealthy(health.healthy(replica.getKey()));
                try {
                    entry.setChecksum(calls.checksum(replica.getKey(), state.relativePath(), CHECKSUM_TIMEOUT));
                } catch (ReplicaCalls.ReplicaCallException e) {
                    entry.setChecksumError(e.getMessage());
                }
                response.addReplicas(entry);
            }
            for (ReplicationJob job : store.jobs()) {
                if (job.relativePath().equals(state.relativePath())) {
                    response.addReplications(QueuedReplication.newBuilder().setTarget(job.target()).setSource(job.source())
                            .setState(job.state()).setAttempts(job.attempts())
                            .setLastError(job.lastError() == null ? "" : job.lastError()));
                }
            }
            responses.onNext(response.build());
            responses.onCompleted();
        } catch (StoreException e) {
            responses.onError(status(e));
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    @Override
    public void dataLossReport(DataLossReportRequest request, StreamObserver<DataLossReportResponse> responses) {
        try {
            DataLossReportResponse.Builder report = DataLossReportResponse.newBuilder();
            for (RepositoryState state : store.repositories()) {
                if (state.upToDate().size() == state.generations().size()) {
                    continue;
                }
                DataLossEntry.Builder entry = DataLossEntry.newBuilder().setRelativePath(state.relativePath())
                        .setPrimary(state.primary()).setPrimaryUpToDate(state.isUpToDate(state.primary()))
                        .addAllUpToDate(state.upToDate());
                state.generations().keySet().stream().filter(replica -> !state.isUpToDate(replica))
                        .forEach(entry::addOutdated);
                report.addRepositories(entry);
            }
            responses.onNext(report.build());
            responses.onCompleted();
        } catch (StoreException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void setPrimary(SetPrimaryRequest request, StreamObserver<SetPrimaryResponse> responses) {
        try {
            known(request.getRelativePath());
            try (RepositoryWrite write = store.beginWrite(request.getRelativePath(), owner, lockTimeout)) {
                RepositoryState state = write.state();
                if (!state.generations().containsKey(request.getStorage())) {
                    throw Status.INVALID_ARGUMENT.withDescription("storage: " + request.getStorage() + " holds no replica of "
                            + state.relativePath() + " (replicas: " + state.generations().keySet() + ")").asRuntimeException();
                }
                if (!state.isUpToDate(request.getStorage())) {
                    throw Status.FAILED_PRECONDITION.withDescription(request.getStorage() + " is at generation "
                            + state.generations().get(request.getStorage()) + ", the newest is " + state.maxGeneration()
                            + ": only an up-to-date replica can be primary").asRuntimeException();
                }
                write.setPrimary(request.getStorage());
                write.commit();
            }
            responses.onNext(SetPrimaryResponse.getDefaultInstance());
            responses.onCompleted();
        } catch (StoreException e) {
            responses.onError(status(e));
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    @Override
    public void acceptDataLoss(AcceptDataLossRequest request, StreamObserver<AcceptDataLossResponse> responses) {
        try {
            known(request.getRelativePath());
            String authority = request.getAuthoritativeStorage();
            try (RepositoryWrite write = store.beginWrite(request.getRelativePath(), owner, lockTimeout)) {
                RepositoryState state = write.state();
                if (!state.generations().containsKey(authority)) {
                    throw Status.INVALID_ARGUMENT.withDescription("authoritative_storage: " + authority + " holds no replica"
                            + " of " + state.relativePath() + " (replicas: " + state.generations().keySet() + ")")
                            .asRuntimeException();
                }
                write.setGeneration(authority, state.maxGeneration() + 1);
                write.setPrimary(authority);
                write.commit();
                for (String replica : state.generations().keySet()) {
                    if (!replica.equals(authority)) {
                        store.enqueueReplication(state.relativePath(), replica, authority);
                    }
                }
            }
            responses.onNext(AcceptDataLossResponse.getDefaultInstance());
            responses.onCompleted();
        } catch (StoreException e) {
            responses.onError(status(e));
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    private RepositoryState known(String relativePath) throws StoreException {
        if (relativePath.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("relative_path: empty").asRuntimeException();
        }
        return store.repository(relativePath).orElseThrow(() -> Status.NOT_FOUND.withDescription("repository "
                + relativePath + " does not exist in virtual storage " + virtualStorage).asRuntimeException());
    }

    private static StatusRuntimeException status(StoreException e) {
        Status status = switch (e.kind()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case LOCK_TIMEOUT -> Status.ABORTED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case INTERNAL -> Status.INTERNAL;
        };
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
