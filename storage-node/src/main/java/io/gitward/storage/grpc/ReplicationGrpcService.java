package io.gitward.storage.grpc;

import com.google.protobuf.ByteString;
import io.gitward.proto.FetchSnapshotRequest;
import io.gitward.proto.FetchSnapshotResponse;
import io.gitward.proto.Reference;
import io.gitward.proto.ReplicationServiceGrpc;
import io.gitward.storage.StorageException;
import io.gitward.storage.repo.RepositoryStore;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;

/** {@code gitward.ReplicationService}: serves a replica's references and a pack of what the caller lacks. */
public final class ReplicationGrpcService extends ReplicationServiceGrpc.ReplicationServiceImplBase {
    private static final int CHUNK = 128 * 1024;

    private final RepositoryStore store;
    private final Executor blocking;

    ReplicationGrpcService(RepositoryStore store, Executor blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    @Override
    public void fetchSnapshot(FetchSnapshotRequest request, StreamObserver<FetchSnapshotResponse> responses) {
        FlowControlledSender<FetchSnapshotResponse> sender = new FlowControlledSender<>(responses);
        // Packs can be large: produce them off the call's executor so flow control can signal readiness.
        blocking.execute(() -> {
            try (org.eclipse.jgit.lib.Repository repository = store.open(request.getRepository())) {
                List<Ref> refs = repository.getRefDatabase().getRefsByPrefix(Constants.R_REFS);
                Ref head = repository.exactRef(Constants.HEAD);
                FetchSnapshotResponse.Builder first = FetchSnapshotResponse.newBuilder()
                        .setHead(head != null && head.isSymbolic() ? head.getTarget().getName() : "");
                Set<ObjectId> wants = new HashSet<>();
                for (Ref ref : refs) {
                    if (ref.getObjectId() != null) {
                        first.addReferences(Reference.newBuilder().setName(ref.getName()).setTarget(ref.getObjectId().name()));
                        wants.add(ref.getObjectId());
                    }
                }
                sender.send(first.build());
                Set<ObjectId> haves = new HashSet<>();
                for (String have : request.getHaveList()) {
                    if (ObjectId.isId(have) && repository.getObjectDatabase().has(ObjectId.fromString(have))) {
                        haves.add(ObjectId.fromString(have));
                    }
                }
                if (!wants.isEmpty()) {
                    try (PackWriter writer = new PackWriter(repository);
                            ChunkedOutput out = new ChunkedOutput(CHUNK, (chunk, length) -> sender.send(
                                    FetchSnapshotResponse.newBuilder().setPackData(ByteString.copyFrom(chunk, 0, length))
                                            .build()))) {
                        writer.preparePack(NullProgressMonitor.INSTANCE, wants, haves);
                        writer.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, out);
                    }
                }
                sender.complete();
            } catch (StorageException e) {
                responses.onError(Statuses.of(e));
            } catch (IOException e) {
                responses.onError(Statuses.of(new StorageException(StorageException.Kind.INTERNAL, "cannot serve the snapshot: "
                        + e.getMessage(), e)));
            } catch (RuntimeException e) {
                responses.onError(Statuses.unexpected("FetchSnapshot", e));
            }
        });
    }
}
