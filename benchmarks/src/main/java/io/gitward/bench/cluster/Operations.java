package io.gitward.bench.cluster;

import io.gitward.proto.BlobServiceGrpc;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.ListRefsResponse;
import io.gitward.proto.ReadBlobRequest;
import io.gitward.proto.ReadBlobResponse;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.ReferenceUpdate;
import io.gitward.proto.Repository;
import io.gitward.proto.UpdateReferencesRequest;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The measured calls. Each lane (one call in flight) calls {@link Call#run(int)} with its index; lanes share one
 * connection per variant unless the target asks for a new connection per call.
 *
 * <ul>
 *   <li>{@code find-ref}: FindRef of {@code refs/heads/main};</li>
 *   <li>{@code read-blob}: ReadBlob of the 1 KiB {@code file.txt} at {@code main}, stream drained;</li>
 *   <li>{@code update-ref}: UpdateReferences of one branch per lane, alternately created at {@code main}'s commit
 *       and deleted (every call valid: the old value is the lane's last);</li>
 *   <li>{@code list-refs}: ListRefs of every reference, stream drained and counted.</li>
 * </ul>
 */
final class Operations {
    static final String ZERO = "0".repeat(40);
    static final String FILE = "file.txt";
    private static final long DEADLINE_SECONDS = 30;

    /** One call on lane {@code lane}; throws on any failure. */
    @FunctionalInterface
    interface Call {
        void run(int lane) throws Exception;
    }

    /** Current value of each lane's branch, across runs of the same variant. */
    private final Map<String, String> laneRefs = new ConcurrentHashMap<>();
    private final Map<String, String> heads = new ConcurrentHashMap<>();

    /** The call for {@code operation} on {@code connections}; {@code shared} is the variant's open connection. */
    Call call(String operation, Connections connections, ManagedChannel shared, long expectedRefs) {
        LoadPlan.Target target = connections.target();
        Repository repository = Repository.newBuilder().setStorageName(LoadPlan.VIRTUAL_STORAGE)
                .setRelativePath(target.repository()).build();
        if (target.newConnectionPerCall()) {
            return lane -> {
                ManagedChannel channel = connections.open();
                try {
                    single(operation, connections.calls(channel), repository, target, lane, expectedRefs);
                } finally {
                    Connections.close(channel);
                }
            };
        }
        Channel calls = connections.calls(shared);
        return lane -> single(operation, calls, repository, target, lane, expectedRefs);
    }

    private void single(String operation, Channel channel, Repository repository, LoadPlan.Target target, int lane,
            long expectedRefs) {
        RefServiceGrpc.RefServiceBlockingStub refs = RefServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        switch (operation) {
            case "find-ref" -> {
                if (!refs.findRef(FindRefRequest.newBuilder().setRepository(repository).setName("refs/heads/main").build())
                        .hasReference()) {
                    throw new IllegalStateException("refs/heads/main not found in " + repository.getRelativePath());
                }
            }
            case "read-blob" -> {
                Iterator<ReadBlobResponse> stream = BlobServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).readBlob(ReadBlobRequest.newBuilder()
                                .setRepository(repository).setRevision("main").setPath(FILE).build());
                long bytes = 0;
                while (stream.hasNext()) {
                    bytes += stream.next().getData().size();
                }
                if (bytes == 0) {
                    throw new IllegalStateException(FILE + " read empty");
                }
            }
            case "update-ref" -> {
                String key = target.label() + "/" + repository.getRelativePath() + "/" + lane;
                String head = heads.computeIfAbsent(repository.getRelativePath(), path -> head(refs, repository));
                String current = laneRefs.getOrDefault(key, ZERO);
                String next = current.equals(ZERO) ? head : ZERO;
                String name = "refs/heads/lane/" + target.label().replaceAll("[^a-z0-9-]", "-") + "-" + lane;
                refs.updateReferences(UpdateReferencesRequest.newBuilder().setRepository(repository).addUpdates(
                        ReferenceUpdate.newBuilder().setName(name).setOldTarget(current).setNewTarget(next)).build());
                laneRefs.put(key, next);
            }
            case "list-refs" -> {
                Iterator<ListRefsResponse> stream = RefServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(120, TimeUnit.SECONDS)
                        .listRefs(ListRefsRequest.newBuilder().setRepository(repository).build());
                long count = 0;
                while (stream.hasNext()) {
                    count += stream.next().getReferencesCount();
                }
                if (count < expectedRefs) {
                    throw new IllegalStateException("listed " + count + " references, expected at least " + expectedRefs);
                }
            }
            default -> throw new IllegalArgumentException("unknown operation " + operation);
        }
    }

    static String head(RefServiceGrpc.RefServiceBlockingStub refs, Repository repository) {
        return refs.findRef(FindRefRequest.newBuilder().setRepository(repository).setName("refs/heads/main").build())
                .getReference().getTarget();
    }
}
