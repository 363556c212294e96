package io.gitward.storage.grpc;

import io.gitward.proto.FindRefRequest;
import io.gitward.proto.FindRefResponse;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.ListRefsResponse;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Reference;
import io.gitward.proto.ReferenceUpdate;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.proto.UpdateReferencesResponse;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.RefChange;
import io.gitward.storage.refs.RefTransaction;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;

/** {@code gitward.RefService}. */
public final class RefGrpcService extends RefServiceGrpc.RefServiceImplBase {
    private static final int REFS_PER_MESSAGE = 1000;

    private final Mutations mutations;
    private final Executor blocking;

    RefGrpcService(Mutations mutations, Executor blocking) {
        this.mutations = mutations;
        this.blocking = blocking;
    }

    @Override
    public void listRefs(ListRefsRequest request, StreamObserver<ListRefsResponse> responses) {
        FlowControlledSender<ListRefsResponse> sender = new FlowControlledSender<>(responses);
        blocking.execute(() -> listRefs(request, responses, sender));
    }

    private void listRefs(ListRefsRequest request, StreamObserver<ListRefsResponse> responses,
            FlowControlledSender<ListRefsResponse> sender) {
        try (org.eclipse.jgit.lib.Repository repository = mutations.store().open(request.getRepository())) {
            List<Ref> refs = new ArrayList<>();
            if (request.getPrefixesCount() == 0) {
                refs.addAll(repository.getRefDatabase().getRefsByPrefix("refs/"));
            } else {
                for (String prefix : request.getPrefixesList()) {
                    refs.addAll(repository.getRefDatabase().getRefsByPrefix(prefix));
                }
            }
            refs.sort(Comparator.comparing(Ref::getName));
            ListRefsResponse.Builder chunk = ListRefsResponse.newBuilder();
            for (Ref ref : refs) {
                if (ref.getObjectId() == null) {
                    continue;
                }
                chunk.addReferences(Reference.newBuilder().setName(ref.getName()).setTarget(ref.getObjectId().name()));
                if (chunk.getReferencesCount() == REFS_PER_MESSAGE) {
                    sender.send(chunk.build());
                    chunk = ListRefsResponse.newBuilder();
                }
            }
            if (chunk.getReferencesCount() > 0 || refs.isEmpty()) {
                sender.send(chunk.build());
            }
            sender.complete();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (IOException e) {
            responses.onError(Statuses.of(new StorageException(StorageException.Kind.INTERNAL, "cannot list references: "
                    + e.getMessage(), e)));
        }
    }

    @Override
    public void findRef(FindRefRequest request, StreamObserver<FindRefResponse> responses) {
        try (org.eclipse.jgit.lib.Repository repository = mutations.store().open(request.getRepository())) {
            if (!org.eclipse.jgit.lib.Repository.isValidRefName(request.getName()) && !request.getName().equals("HEAD")) {
                throw StorageException.invalid("name: '" + request.getName() + "' is not a valid reference name");
            }
            Ref ref = repository.exactRef(request.getName());
            FindRefResponse.Builder response = FindRefResponse.newBuilder().setFound(ref != null && ref.getObjectId() != null);
            if (response.getFound()) {
                response.setReference(Reference.newBuilder().setName(ref.getName()).setTarget(ref.getObjectId().name()));
            }
            responses.onNext(response.build());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (IOException e) {
            responses.onError(Statuses.of(new StorageException(StorageException.Kind.INTERNAL, "cannot read the reference: "
                    + e.getMessage(), e)));
        }
    }

    @Override
    public void updateReferences(UpdateReferencesRequest request, StreamObserver<UpdateReferencesResponse> responses) {
        try {
            List<RefChange> changes = new ArrayList<>();
            for (int i = 0; i < request.getUpdatesCount(); i++) {
                ReferenceUpdate update = request.getUpdates(i);
                changes.add(new RefChange(update.getName(), optionalId("updates[" + i + "].old_target", update.getOldTarget()),
                        requiredId("updates[" + i + "].new_target", update.getNewTarget())));
            }
            mutations.run(request.getRepository(), (repository, voter, transactional) -> {
                RefTransaction.apply(repository, changes, voter);
                return null;
            });
            responses.onNext(UpdateReferencesResponse.getDefaultInstance());
            responses.onCompleted();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (RuntimeException e) {
            responses.onError(Statuses.unexpected("UpdateReferences", e));
        }
    }

    static ObjectId optionalId(String field, String value) throws StorageException {
        return value.isEmpty() ? null : requiredId(field, value);
    }

    static ObjectId requiredId(String field, String value) throws StorageException {
        if (!ObjectId.isId(value)) {
            throw StorageException.invalid(field + ": '" + value + "' (expected 40 lower-case hex digits)");
        }
        return ObjectId.fromString(value);
    }
}
