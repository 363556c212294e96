package io.gitward.storage.grpc;

import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CommitFilesResponse;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.storage.StorageException;
import io.gitward.storage.commit.FileCommit;
import io.gitward.storage.refs.RefTransaction;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;

/** {@code gitward.OperationService}. */
public final class OperationGrpcService extends OperationServiceGrpc.OperationServiceImplBase {
    private final Mutations mutations;
    private final Clock clock;

    OperationGrpcService(Mutations mutations, Clock clock) {
        this.mutations = mutations;
        this.clock = clock;
    }

    @Override
    public void commitFiles(CommitFilesRequest request, StreamObserver<CommitFilesResponse> responses) {
        try {
            FileCommit.Prepared prepared = mutations.run(request.getRepository(), (repository, voter, transactional) -> {
                FileCommit.Prepared commit = FileCommit.prepare(repository, request, transactional, clock);
                RefTransaction.apply(repository, List.of(commit.change()), voter);
                return commit;
            });
            responses.onNext(CommitFilesResponse.newBuilder().setCommitId(prepared.commit().name())
                    .setParentId(prepared.parent() == null ? "" : prepared.parent().name()).build());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (RuntimeException e) {
            responses.onError(Statuses.unexpected("CommitFiles", e));
        }
    }
}
