package io.gitward.storage.grpc;

import io.gitward.proto.CreateRepositoryFromBundleRequest;
import io.gitward.proto.CreateRepositoryFromBundleResponse;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.CreateRepositoryResponse;
import io.gitward.proto.RemoveRepositoryRequest;
import io.gitward.proto.RemoveRepositoryResponse;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryExistsResponse;
import io.gitward.proto.RepositoryInfoRequest;
import io.gitward.proto.RepositoryInfoResponse;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.storage.StorageException;
import io.gitward.storage.pack.BundleImport;
import io.gitward.storage.repo.RepositoryStore;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;

/** {@code gitward.RepositoryService}. */
public final class RepositoryGrpcService extends RepositoryServiceGrpc.RepositoryServiceImplBase {
    private final RepositoryStore store;
    private final Mutations mutations;
    private final Executor blocking;
    private final long maxBundleBytes;

    RepositoryGrpcService(Mutations mutations, Executor blocking, long maxBundleBytes) {
        this.store = mutations.store();
        this.mutations = mutations;
        this.blocking = blocking;
        this.maxBundleBytes = maxBundleBytes;
    }

    @Override
    public StreamObserver<CreateRepositoryFromBundleRequest> createRepositoryFromBundle(
            StreamObserver<CreateRepositoryFromBundleResponse> responses) {
        return new StreamedUpload<>("CreateRepositoryFromBundle", blocking, responses,
                CreateRepositoryFromBundleRequest::getRepository, request -> "", CreateRepositoryFromBundleRequest::getData) {
            @Override
            protected void run(Repository repository, String gitProtocol, InputStream in,
                    FlowControlledSender<CreateRepositoryFromBundleResponse> sender) throws StorageException {
                int references = new BundleImport(store, maxBundleBytes).run(repository, in, mutations.currentVoter());
                try {
                    sender.send(CreateRepositoryFromBundleResponse.newBuilder().setReferenceCount(references).build());
                } catch (IOException e) {
                    return; // the client went away after the import; nothing to answer
                }
                sender.complete();
            }
        };
    }

    @Override
    public void createRepository(CreateRepositoryRequest request, StreamObserver<CreateRepositoryResponse> responses) {
        try {
            store.create(request.getRepository(), request.getDefaultBranch());
            responses.onNext(CreateRepositoryResponse.getDefaultInstance());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        }
    }

    @Override
    public void repositoryExists(RepositoryExistsRequest request, StreamObserver<RepositoryExistsResponse> responses) {
        try {
            responses.onNext(RepositoryExistsResponse.newBuilder().setExists(store.exists(request.getRepository())).build());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        }
    }

    @Override
    public void removeRepository(RemoveRepositoryRequest request, StreamObserver<RemoveRepositoryResponse> responses) {
        try {
            store.remove(request.getRepository());
            responses.onNext(RemoveRepositoryResponse.getDefaultInstance());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        }
    }

    @Override
    public void repositoryInfo(RepositoryInfoRequest request, StreamObserver<RepositoryInfoResponse> responses) {
        try (org.eclipse.jgit.lib.Repository repository = store.open(request.getRepository())) {
            Ref head = repository.exactRef(Constants.HEAD);
            String defaultBranch = head != null && head.isSymbolic()
                    ? org.eclipse.jgit.lib.Repository.shortenRefName(head.getTarget().getName()) : "";
            GC.RepoStatistics statistics = new GC((FileRepository) repository).getStatistics();
            responses.onNext(RepositoryInfoResponse.newBuilder()
                    .setSizeBytes(size(repository.getDirectory().toPath()))
                    .setObjectCount(statistics.numberOfLooseObjects + statistics.numberOfPackedObjects)
                    .setDefaultBranch(defaultBranch)
                    .setReferenceCount(repository.getRefDatabase().getRefsByPrefix(Constants.R_REFS).size())
                    .build());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (IOException e) {
            responses.onError(Statuses.of(new StorageException(StorageException.Kind.INTERNAL, "cannot read repository: "
                    + e.getMessage(), e)));
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum();
        }
    }
}
