package io.gitward.storage.grpc;

import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.ChecksumResponse;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.ReplicateFromRequest;
import io.gitward.proto.ReplicateFromResponse;
import io.gitward.storage.StorageException;
import io.gitward.storage.pack.Replicator;
import io.gitward.storage.refs.Checksums;
import io.gitward.storage.repo.RepositoryStore;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;

/** {@code gitward.MaintenanceService}: the proxy's checksum and replicate-from calls. */
public final class MaintenanceGrpcService extends MaintenanceServiceGrpc.MaintenanceServiceImplBase {
    private final RepositoryStore store;
    private final Replicator replicator;
    private final Executor blocking;

    MaintenanceGrpcService(RepositoryStore store, Replicator replicator, Executor blocking) {
        this.store = store;
        this.replicator = replicator;
        this.blocking = blocking;
    }

    @Override
    public void checksum(ChecksumRequest request, StreamObserver<ChecksumResponse> responses) {
        try (org.eclipse.jgit.lib.Repository repository = store.open(request.getRepository())) {
            Checksums.Checksum checksum = Checksums.of(repository);
            responses.onNext(ChecksumResponse.newBuilder().setChecksum(checksum.hex())
                    .setReferenceCount(checksum.referenceCount()).build());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        }
    }

    @Override
    public void replicateFrom(ReplicateFromRequest request, StreamObserver<ReplicateFromResponse> responses) {
        blocking.execute(() -> {
            try {
                String checksum = replicator.replicate(request);
                responses.onNext(ReplicateFromResponse.newBuilder().setChecksum(checksum).build());
                responses.onCompleted();
            } catch (StorageException e) {
                responses.onError(Statuses.of(e));
            } catch (RuntimeException e) {
                responses.onError(Statuses.unexpected("ReplicateFrom", e));
            }
        });
    }
}
