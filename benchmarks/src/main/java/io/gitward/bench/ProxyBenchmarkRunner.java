package io.gitward.bench;

import com.google.protobuf.ByteString;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.Signature;
import io.gitward.proxy.ProxyNode;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code gitward bench proxy}: the same calls direct to a storage node and through a proxy, side by side in one
 * run, in this JVM on real mTLS sockets (phase 6): a read (FindRef) and a write (CommitFiles; through the proxy a
 * transaction with the embedded coordinator and a generation recorded in the embedded store). The proxy fronts
 * one replica (the fair comparison) and, for the write, three.
 */
public final class ProxyBenchmarkRunner {
    private static final String VIRTUAL_STORAGE = "default";

    private final boolean quick;
    private final Path out;

    public ProxyBenchmarkRunner(boolean quick, Path out) {
        this.quick = quick;
        this.out = out;
    }

    private record Row(String operation, String path, LatencyRecorder.Result result) {
    }

    public int run() throws Exception {
        Path work = Files.createTempDirectory("gitward-bench-proxy");
        List<NodeRuntime> runtimes = new ArrayList<>();
        List<ManagedChannel> channels = new ArrayList<>();
        try {
            BenchPki pki = BenchPki.create(work.resolve("ca"));
            List<NodeRuntime> storages = new ArrayList<>();
            for (String name : List.of("storage-1", "storage-2", "storage-3")) {
                Path config = pki.nodeConfig(work, Role.STORAGE, name, "storage.root = \"" + work.resolve(name + "-repos")
                        + "\"", "storage.name = " + VIRTUAL_STORAGE);
                NodeRuntime storage = NodeRuntime.start(NodeKind.STORAGE, config, Map.of(), new StorageNode());
                runtimes.add(storage);
                storages.add(storage);
            }
            NodeRuntime single = proxy(pki, work, "proxy-1", storages.subList(0, 1));
            NodeRuntime triple = proxy(pki, work, "proxy-3", storages);
            runtimes.add(single);
            runtimes.add(triple);
            ManagedChannel direct = pki.channel(Role.PROXY, "bench-caller", BenchPki.identity("storage", "storage-1"),
                    address(storages.get(0)));
            ManagedChannel viaProxy = pki.channel(Role.CLIENT, "client-1", BenchPki.identity("proxy", "proxy-1"),
                    address(single));
            ManagedChannel viaProxy3 = pki.channel(Role.CLIENT, "client-1", BenchPki.identity("proxy", "proxy-3"),
                    address(triple));
            channels.addAll(List.of(direct, viaProxy, viaProxy3));
            List<Row> rows = measure(direct, viaProxy, viaProxy3);
            String report = report(rows);
            Files.createDirectories(out);
            Files.writeString(out.resolve("report.md"), report, StandardCharsets.UTF_8);
            System.out.print(report);
            System.out.println("\nwritten to " + out.resolve("report.md").toAbsolutePath());
            return 0;
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
            for (int i = runtimes.size() - 1; i >= 0; i--) {
                runtimes.get(i).close();
            }
            try (var walk = Files.walk(work)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static NodeRuntime proxy(BenchPki pki, Path work, String name, List<NodeRuntime> storages) throws Exception {
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < storages.size(); i++) {
            Map<String, String> listeners = storages.get(i).ready().listeners();
            entries.add("{name = storage-" + (i + 1) + ", tls-address = \"" + listeners.get("grpc-tls")
                    + "\", health-address = \"" + listeners.get("health") + "\"}");
        }
        Path config = pki.nodeConfig(work, Role.PROXY, name, "proxy.virtual-storage = " + VIRTUAL_STORAGE,
                "proxy.storages = [" + String.join(", ", entries) + "]");
        return NodeRuntime.start(NodeKind.PROXY, config, Map.of(), new ProxyNode());
    }

    private static ListenAddress address(NodeRuntime runtime) {
        return ListenAddress.parse(runtime.ready().listeners().get("grpc-tls"));
    }

    private List<Row> measure(ManagedChannel direct, ManagedChannel viaProxy, ManagedChannel viaProxy3) throws Exception {
        long warmup = quick ? 300 : 3_000;
        long window = quick ? 1_000 : 10_000;
        List<Row> rows = new ArrayList<>();
        // One repository created through the 3-replica proxy: it exists on all three, so every path can use it.
        Repository repository = Repository.newBuilder().setStorageName(VIRTUAL_STORAGE).setRelativePath("bench/proxy.git")
                .build();
        RepositoryServiceGrpc.newBlockingStub(viaProxy3).withDeadlineAfter(30, TimeUnit.SECONDS).createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(repository).build());
        OperationServiceGrpc.newBlockingStub(viaProxy3).withDeadlineAfter(30, TimeUnit.SECONDS)
                .commitFiles(commit(repository, "base", 0));
        Repository single = repository.toBuilder().setRelativePath("bench/single.git").build();
        RepositoryServiceGrpc.newBlockingStub(viaProxy).withDeadlineAfter(30, TimeUnit.SECONDS).createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(single).build());
        OperationServiceGrpc.newBlockingStub(viaProxy).withDeadlineAfter(30, TimeUnit.SECONDS)
                .commitFiles(commit(single, "base", 0));

        FindRefRequest find = FindRefRequest.newBuilder().setRepository(single).setName("refs/heads/main").build();
        rows.add(new Row("FindRef", "direct", LatencyRecorder.measure(() -> RefServiceGrpc.newBlockingStub(direct)
                .withDeadlineAfter(30, TimeUnit.SECONDS).findRef(find), warmup, window, 1_000_000)));
        rows.add(new Row("FindRef", "via proxy (1 replica)", LatencyRecorder.measure(() -> RefServiceGrpc
                .newBlockingStub(viaProxy).withDeadlineAfter(30, TimeUnit.SECONDS).findRef(find), warmup, window,
                1_000_000)));
        FindRefRequest findReplicated = find.toBuilder().setRepository(repository).build();
        rows.add(new Row("FindRef", "via proxy (3 replicas)", LatencyRecorder.measure(() -> RefServiceGrpc
                .newBlockingStub(viaProxy3).withDeadlineAfter(30, TimeUnit.SECONDS).findRef(findReplicated), warmup,
                window, 1_000_000)));
        AtomicLong sequence = new AtomicLong();
        rows.add(new Row("CommitFiles", "direct", LatencyRecorder.measure(() -> OperationServiceGrpc.newBlockingStub(direct)
                .withDeadlineAfter(30, TimeUnit.SECONDS).commitFiles(commit(single, "direct", sequence.incrementAndGet())),
                warmup, window, 1_000_000)));
        rows.add(new Row("CommitFiles", "via proxy (1 replica)", LatencyRecorder.measure(() -> OperationServiceGrpc
                .newBlockingStub(viaProxy).withDeadlineAfter(30, TimeUnit.SECONDS).commitFiles(commit(single, "proxied",
                        sequence.incrementAndGet())), warmup, window, 1_000_000)));
        rows.add(new Row("CommitFiles", "via proxy (3 replicas)", LatencyRecorder.measure(() -> OperationServiceGrpc
                .newBlockingStub(viaProxy3).withDeadlineAfter(30, TimeUnit.SECONDS).commitFiles(commit(repository,
                        "replicated", sequence.incrementAndGet())), warmup, window, 1_000_000)));
        return rows;
    }

    private static CommitFilesRequest commit(Repository repository, String prefix, long sequence) {
        Signature person = Signature.newBuilder().setName("Bench").setEmail("bench@example.com")
                .setTimeSeconds(1_767_323_045L + sequence).setTimeSet(true).build();
        return CommitFilesRequest.newBuilder().setRepository(repository).setBranch("main").setMessage(prefix + " " + sequence)
                .setAuthor(person).setCommitter(person).addActions(FileAction.newBuilder().setType(FileAction.Type.CREATE)
                        .setPath(prefix + "/" + sequence + ".txt").setContent(ByteString.copyFromUtf8("x" + sequence)))
                .build();
    }

    private String report(List<Row> rows) {
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT, "# Proxy benchmark%n%nDate: %s; %d cores; %s %s;"
                + " mode: %s. Three storage nodes and two proxies (one fronting storage-1 only, one fronting all three) in"
                + " this JVM, phase 6 (mTLS via BoringSSL, authorization enforced); one caller, one call at a time."
                + " Direct calls go to storage-1 with a proxy certificate; proxied calls use a client certificate."
                + " Writes through a proxy run a transaction (embedded coordinator, majority) and record the generation"
                + " in the embedded store before answering.%n%n"
                + "| operation | path | ops/s | p50 ms | p99 ms | p50 vs direct | throughput vs direct |%n"
                + "|---|---|---:|---:|---:|---:|---:|%n", LocalDate.now(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), quick ? "quick" : "full"));
        for (Row row : rows) {
            Row direct = rows.stream().filter(r -> r.operation().equals(row.operation()) && r.path().equals("direct"))
                    .findFirst().orElse(row);
            report.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.3f | %.3f | %.2fx | %.2fx |%n", row.operation(),
                    row.path(), row.result().perSecond(), row.result().p50Micros() / 1000, row.result().p99Micros() / 1000,
                    row.result().p50Micros() / direct.result().p50Micros(),
                    row.result().perSecond() / direct.result().perSecond()));
        }
        return report.toString();
    }
}
