package io.gitward.bench;

import com.google.protobuf.ByteString;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.ListRefsResponse;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.ReferenceUpdate;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.Signature;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.security.identity.Role;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.storage.StorageNode;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code gitward bench storage}: one storage node in this JVM on a real mTLS socket (phase 6, authorization
 * enforced), called as the proxy. Measures CommitFiles and UpdateReferences latency on a small repository,
 * then UpdateReferences, FindRef and full ListRefs on a repository with 100,000 references.
 */
public final class StorageBenchmarkRunner {
    private static final String STORAGE = "storage-1";
    private static final String ZERO = "0".repeat(40);
    private static final int MANY = 100_000;

    private final boolean quick;
    private final Path out;

    public StorageBenchmarkRunner(boolean quick, Path out) {
        this.quick = quick;
        this.out = out;
    }

    /** One measured case as a report row. */
    private record Row(String operation, String repository, LatencyRecorder.Result result, String note) {
    }

    public int run() throws Exception {
        Path work = Files.createTempDirectory("gitward-bench-storage");
        try {
            BenchPki pki = BenchPki.create(work.resolve("ca"));
            Path config = pki.nodeConfig(work, Role.STORAGE, STORAGE, "storage.root = \"" + work.resolve("repos") + "\"");
            try (NodeRuntime node = NodeRuntime.start(NodeKind.STORAGE, config, Map.of(), new StorageNode())) {
                ListenAddress address = ListenAddress.parse(node.ready().listeners().get("grpc-tls"));
                ManagedChannel proxy = pki.channel(Role.PROXY, "proxy-1", BenchPki.identity("storage", STORAGE), address);
                List<Row> rows = measure(proxy, work.resolve("repos"));
                String report = report(rows);
                Files.createDirectories(out);
                Files.writeString(out.resolve("report.md"), report, StandardCharsets.UTF_8);
                System.out.print(report);
                System.out.println("\nwritten to " + out.resolve("report.md").toAbsolutePath());
                proxy.shutdownNow();
            }
            return 0;
        } finally {
            try (var walk = Files.walk(work)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private List<Row> measure(ManagedChannel proxy, Path root) throws Exception {
        long warmup = quick ? 300 : 3_000;
        long window = quick ? 1_000 : 10_000;
        OperationServiceGrpc.OperationServiceBlockingStub operations = OperationServiceGrpc.newBlockingStub(proxy);
        RefServiceGrpc.RefServiceBlockingStub refs = RefServiceGrpc.newBlockingStub(proxy);
        List<Row> rows = new ArrayList<>();

        Repository small = create(proxy, "bench/small.git");
        operations.commitFiles(commit(small, 0));
        AtomicLong counter = new AtomicLong();
        rows.add(new Row("CommitFiles: one 1 KiB file on main", "small", LatencyRecorder.measure(() ->
                operations.withDeadlineAfter(30, TimeUnit.SECONDS).commitFiles(commit(small, counter.incrementAndGet())),
                warmup, window, 1_000_000), "new commit, tree and blob; branch moved"));
        String head = refs.findRef(FindRefRequest.newBuilder().setRepository(small).setName("refs/heads/main").build())
                .getReference().getTarget();
        rows.add(new Row("UpdateReferences: create + delete one branch", "small", LatencyRecorder.measure(() ->
                createAndDelete(refs, small, "refs/heads/topic", head), warmup, window, 1_000_000),
                "two calls per operation"));

        Repository many = create(proxy, "bench/many.git");
        String target = operations.commitFiles(commit(many, 0)).getCommitId();
        seedPackedRefs(root.resolve("bench/many.git"), target);
        rows.add(new Row("UpdateReferences: create + delete one branch", "100k refs", LatencyRecorder.measure(() ->
                createAndDelete(refs, many, "refs/heads/topic", target), warmup, window, 1_000_000),
                "loose-ref writes; packed-refs untouched"));
        rows.add(new Row("UpdateReferences: move 10 refs atomically", "100k refs", LatencyRecorder.measure(() ->
                moveTen(refs, many, target, counter.incrementAndGet()), warmup, window, 1_000_000),
                "atomic batch: packed-refs rewritten"));
        rows.add(new Row("FindRef", "100k refs", LatencyRecorder.measure(() -> refs.withDeadlineAfter(30, TimeUnit.SECONDS)
                .findRef(FindRefRequest.newBuilder().setRepository(many).setName("refs/heads/b/054321").build()),
                warmup, window, 1_000_000), ""));
        AtomicLong listed = new AtomicLong();
        LatencyRecorder.Result listing = LatencyRecorder.measure(() -> listed.addAndGet(listAll(refs, many)), warmup,
                window, 1_000_000);
        rows.add(new Row("ListRefs: all references, streamed", "100k refs", listing, String.format(Locale.ROOT,
                "%.0f refs/s", listing.perSecond() * (MANY + 1))));
        return rows;
    }

    private static Repository create(ManagedChannel proxy, String path) {
        Repository repository = Repository.newBuilder().setStorageName(STORAGE).setRelativePath(path).build();
        RepositoryServiceGrpc.newBlockingStub(proxy).createRepository(CreateRepositoryRequest.newBuilder()
                .setRepository(repository).build());
        return repository;
    }

    private static CommitFilesRequest commit(Repository repository, long sequence) {
        Signature person = Signature.newBuilder().setName("Bench").setEmail("bench@example.com")
                .setTimeSeconds(1_767_323_045L + sequence).setTimeSet(true).build();
        byte[] content = new byte[1024];
        java.util.Arrays.fill(content, (byte) ('a' + sequence % 26));
        return CommitFilesRequest.newBuilder().setRepository(repository).setBranch("main").setMessage("bench " + sequence)
                .setAuthor(person).setCommitter(person).addActions(FileAction.newBuilder().setType(sequence == 0
                        ? FileAction.Type.CREATE : FileAction.Type.UPDATE).setPath("file.txt")
                        .setContent(ByteString.copyFrom(content))).build();
    }

    private static void createAndDelete(RefServiceGrpc.RefServiceBlockingStub refs, Repository repository, String name,
            String target) {
        refs.withDeadlineAfter(30, TimeUnit.SECONDS).updateReferences(UpdateReferencesRequest.newBuilder()
                .setRepository(repository).addUpdates(update(name, ZERO, target)).build());
        refs.withDeadlineAfter(30, TimeUnit.SECONDS).updateReferences(UpdateReferencesRequest.newBuilder()
                .setRepository(repository).addUpdates(update(name, target, ZERO)).build());
    }

    /** Ten existing references, each pointed at the same target again under a fresh name pair. */
    private static void moveTen(RefServiceGrpc.RefServiceBlockingStub refs, Repository repository, String target,
            long sequence) {
        UpdateReferencesRequest.Builder create = UpdateReferencesRequest.newBuilder().setRepository(repository);
        UpdateReferencesRequest.Builder delete = UpdateReferencesRequest.newBuilder().setRepository(repository);
        for (int i = 0; i < 10; i++) {
            String name = "refs/heads/batch/" + sequence + "-" + i;
            create.addUpdates(update(name, ZERO, target));
            delete.addUpdates(update(name, target, ZERO));
        }
        refs.withDeadlineAfter(30, TimeUnit.SECONDS).updateReferences(create.build());
        refs.withDeadlineAfter(30, TimeUnit.SECONDS).updateReferences(delete.build());
    }

    private static ReferenceUpdate update(String name, String oldTarget, String newTarget) {
        return ReferenceUpdate.newBuilder().setName(name).setOldTarget(oldTarget).setNewTarget(newTarget).build();
    }

    private static long listAll(RefServiceGrpc.RefServiceBlockingStub refs, Repository repository) {
        long count = 0;
        Iterator<ListRefsResponse> stream = refs.withDeadlineAfter(60, TimeUnit.SECONDS)
                .listRefs(ListRefsRequest.newBuilder().setRepository(repository).build());
        while (stream.hasNext()) {
            count += stream.next().getReferencesCount();
        }
        if (count != MANY + 1) {
            throw new IllegalStateException("listed " + count + " references, expected " + (MANY + 1));
        }
        return count;
    }

    /** 100,000 branches in git's packed-refs format, as a repository that grew over time has them. */
    private static void seedPackedRefs(Path gitDir, String target) throws Exception {
        StringBuilder packed = new StringBuilder("# pack-refs with: peeled fully-peeled sorted \n");
        for (int i = 0; i < MANY; i++) {
            packed.append(target).append(' ').append(String.format(Locale.ROOT, "refs/heads/b/%06d", i)).append('\n');
        }
        // refs/heads/main stays a loose reference; "b/" sorts before "main".
        Files.writeString(gitDir.resolve("packed-refs"), packed);
    }

    private String report(List<Row> rows) {
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT, "# Storage node benchmark%n%nDate: %s; %d cores;"
                + " %s %s; mode: %s. One storage node in this JVM, phase 6 (mTLS via BoringSSL, authorization enforced),"
                + " called as the proxy over one connection, one call at a time; repositories on the local disk"
                + " (JGit file storage). The 100k repository has 100,000 branches in packed-refs.%n%n"
                + "| operation | repository | ops/s | p50 ms | p99 ms | max ms | operations | note |%n"
                + "|---|---|---:|---:|---:|---:|---:|---|%n", LocalDate.now(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), quick ? "quick" : "full"));
        for (Row row : rows) {
            LatencyRecorder.Result result = row.result();
            report.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.3f | %.3f | %.3f | %d | %s |%n", row.operation(),
                    row.repository(), result.perSecond(), result.p50Micros() / 1000, result.p99Micros() / 1000,
                    result.maxMicros() / 1000, result.count(), row.note()));
        }
        return report.toString();
    }
}
