package io.gitward.bench.cluster;

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
import io.gitward.security.json.Json;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The load generator of {@code gitward bench}: a JVM of its own (started by the benchmark with the
 * distribution's classpath) that reads a {@link LoadPlan}, sets up repositories, drives every group and writes a
 * {@link LoadResult}. Lines starting with {@value #SIGNAL} on standard output tell the benchmark when a variant
 * that wants certificates rotating begins and ends.
 *
 * <p>{@code java -cp 'lib/*' io.gitward.bench.cluster.ClusterLoadGenerator PLAN.json RESULT.json}
 */
public final class ClusterLoadGenerator {
    public static final String SIGNAL = "@@";

    private final LoadPlan plan;
    private final PrintStream out;
    private final Operations operations = new Operations();

    private ClusterLoadGenerator(LoadPlan plan, PrintStream out) {
        this.plan = plan;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ClusterLoadGenerator PLAN.json RESULT.json");
            System.exit(2);
        }
        LoadPlan plan = Json.mapper().readValue(Files.readString(Path.of(args[0])), LoadPlan.class);
        LoadResult result = new ClusterLoadGenerator(plan, System.out).run();
        Files.writeString(Path.of(args[1]), Json.write(result) + "\n", StandardCharsets.UTF_8);
        System.exit(0);
    }

    LoadResult run() throws Exception {
        if (plan.setup() != null) {
            setup(plan.setup());
        }
        Map<String, Long> processes = new LinkedHashMap<>();
        processes.put("client", ProcessHandle.current().pid());
        processes.putAll(plan.processes());
        LoadEngine engine = new LoadEngine(new ProcessCpu(plan.clockTicks()), processes);
        List<LoadResult.Run> runs = new ArrayList<>();
        for (LoadPlan.Group group : plan.groups()) {
            runs.addAll(group(engine, group));
        }
        return new LoadResult(plan.cluster(), System.getProperty("java.version"), plan.seed(), runs);
    }

    private List<LoadResult.Run> group(LoadEngine engine, LoadPlan.Group group) throws Exception {
        List<LoadResult.Run> runs = new ArrayList<>();
        Map<String, Connections> connections = new LinkedHashMap<>();
        Map<String, ManagedChannel> channels = new LinkedHashMap<>();
        long expectedRefs = plan.setup() == null ? 1 : plan.setup().manyRefs();
        try {
            for (LoadPlan.Target target : group.variants()) {
                Connections connection = new Connections(target);
                connections.put(target.label(), connection);
                channels.put(target.label(), connection.open());
            }
            // Every variant at every in-flight count, twice round: measured on one node, the first run after a
            // single pass of warm-up still paid for compiling the code paths the other counts and variants had used.
            java.util.SortedSet<Integer> counts = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
            counts.addAll(group.inFlight());
            counts.addAll(group.openInFlight());
            long slice = plan.variantWarmupMillis() / Math.max(1, 2 * counts.size());
            for (int round = 0; round < 2 && slice > 0; round++) {
                for (int inFlight : counts) {
                    for (LoadPlan.Target target : group.variants()) {
                        if (!target.rotating()) {
                            engine.run(operations.call(group.operation(), connections.get(target.label()),
                                    channels.get(target.label()), expectedRefs), inFlight, 0, slice, 0);
                        }
                    }
                }
            }
            if (group.warmupCalls() > 0 && !plan.quick()) {
                warmUpByCalls(engine, group, connections, channels, counts.first(), expectedRefs);
            }
            Map<Integer, Double> slowest = new LinkedHashMap<>();
            if (group.closed()) {
                for (int inFlight : group.inFlight()) {
                    for (LoadResult.Run run : measureInterleaved(engine, group, connections, channels, inFlight, 0,
                            expectedRefs)) {
                        runs.add(run);
                        slowest.merge(inFlight, run.throughput(), Math::min);
                    }
                }
            }
            for (int inFlight : group.openInFlight()) {
                Double fixed = group.openRate() == null ? null : group.openRate().get(Integer.toString(inFlight));
                double rate = fixed != null ? fixed : group.openFraction() * slowest.getOrDefault(inFlight, 0.0);
                if (rate <= 0) {
                    out.println("skipping the open loop of " + group.id() + " x" + inFlight + ": no closed-loop rate");
                    continue;
                }
                runs.addAll(measureInterleaved(engine, group, connections, channels, inFlight, rate, expectedRefs));
            }
        } finally {
            for (ManagedChannel channel : channels.values()) {
                Connections.close(channel);
            }
        }
        return runs;
    }

    /**
     * Slow operations (a voted write: tens per second) reach the JIT's compile thresholds minutes after fast ones, and
     * a variant may reach nodes no other variant warmed (reads from any replica): each variant is driven until it made
     * {@code group.warmupCalls()} calls, within {@link LoadPlan#WARMUP_CALLS_CAP}, so the runs measure compiled code on
     * every node, as a cluster that has been up for a while runs.
     */
    private void warmUpByCalls(LoadEngine engine, LoadPlan.Group group, Map<String, Connections> connections,
            Map<String, ManagedChannel> channels, int inFlight, long expectedRefs) throws Exception {
        for (LoadPlan.Target target : group.variants()) {
            if (target.rotating()) {
                continue;
            }
            Operations.Call call = operations.call(group.operation(), connections.get(target.label()),
                    channels.get(target.label()), expectedRefs);
            long calls = 0;
            long started = System.nanoTime();
            while (calls < group.warmupCalls() && System.nanoTime() - started < LoadPlan.WARMUP_CALLS_CAP.toNanos()) {
                calls += engine.run(call, inFlight, 0, 0, 5_000).calls();
            }
            out.printf("  %s %s: warmed up with %d calls in %.0f s%n", group.id(), target.label(), calls,
                    (System.nanoTime() - started) / 1e9);
        }
    }

    /**
     * Measures every variant of the group at {@code inFlight} (and {@code rate}, 0 for the closed loop) in
     * {@link LoadPlan#slices} slices taken in turn — A B C, B C A, C A B, … — so that a machine whose speed drifts
     * over minutes (a shared VM) shifts every variant alike instead of favouring whichever ran in a faster minute.
     * Each slice has its share of the warm-up and of the measured window; a variant's slices are added up.
     */
    private List<LoadResult.Run> measureInterleaved(LoadEngine engine, LoadPlan.Group group,
            Map<String, Connections> connections, Map<String, ManagedChannel> channels, int inFlight, double rate,
            long expectedRefs) throws Exception {
        List<LoadPlan.Target> variants = group.variants();
        int slices = LoadPlan.slices(plan.quick(), variants.size(), variants.stream().anyMatch(LoadPlan.Target::rotating));
        Map<String, LoadEngine.Measured> measured = new LinkedHashMap<>();
        for (int slice = 0; slice < slices; slice++) {
            for (int i = 0; i < variants.size(); i++) {
                LoadPlan.Target target = variants.get((i + slice) % variants.size());
                LoadEngine.Measured part = measureSlice(engine, group, target, connections, channels, inFlight, rate,
                        expectedRefs, slices);
                measured.merge(target.label(), part, LoadEngine.Measured::plus);
            }
        }
        List<LoadResult.Run> runs = new ArrayList<>();
        for (LoadPlan.Target target : variants) {
            runs.add(toRun(group, target, inFlight, rate, measured.get(target.label())));
        }
        return runs;
    }

    private LoadEngine.Measured measureSlice(LoadEngine engine, LoadPlan.Group group, LoadPlan.Target target,
            Map<String, Connections> connections, Map<String, ManagedChannel> channels, int inFlight, double rate,
            long expectedRefs, int slices) throws Exception {
        Operations.Call call = operations.call(group.operation(), connections.get(target.label()),
                channels.get(target.label()), expectedRefs);
        if (target.rotating()) {
            signal("rotate on " + group.id() + " " + (rate > 0 ? "open" : "closed") + " x" + inFlight);
        }
        try {
            return engine.run(call, inFlight, rate, plan.warmupMillis() / slices, plan.measureMillis() / slices);
        } finally {
            if (target.rotating()) {
                signal("rotate off");
            }
        }
    }

    private LoadResult.Run toRun(LoadPlan.Group group, LoadPlan.Target target, int inFlight, double rate,
            LoadEngine.Measured measured) {
        Map<String, Double> per1000 = new LinkedHashMap<>();
        for (Map.Entry<String, Double> used : measured.cpuSeconds().entrySet()) {
            per1000.put(used.getKey(), used.getValue() < 0 || measured.calls() == 0 ? -1
                    : used.getValue() * 1000 / measured.calls());
        }
        var histogram = measured.histogram();
        LoadResult.Run run = new LoadResult.Run(group.id(), group.title(), group.operation(), target.label(),
                rate > 0 ? "open" : "closed", inFlight, rate, measured.calls(), measured.errors(), measured.errorSamples(),
                measured.seconds(), measured.calls() / measured.seconds(), ms(histogram.getValueAtPercentile(50)),
                ms(histogram.getValueAtPercentile(90)), ms(histogram.getValueAtPercentile(99)),
                ms(histogram.getValueAtPercentile(99.9)), ms(histogram.getMaxValue()), measured.lateStarts(), per1000,
                measured.cpuSeconds());
        out.printf(Locale.ROOT, "  %-4s %-10s %-26s %-6s x%-3d %9.1f calls/s  p50 %7.3f  p99 %7.3f  p99.9 %8.3f ms"
                + "  errors %d%s%n", group.id(), group.operation(), target.label(), run.mode(), inFlight, run.throughput(),
                run.p50(), run.p99(), run.p999(), run.errors(), run.errors() > 0 ? " " + run.errorSamples() : "");
        out.flush();
        return run;
    }

    private void signal(String what) {
        out.println(SIGNAL + what);
        out.flush();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Repositories with a 1 KiB {@code file.txt} on {@code main}; the many-refs one gets its branches. */
    private void setup(LoadPlan.Setup setup) throws Exception {
        Connections connections = new Connections(setup.via());
        ManagedChannel channel = connections.open();
        try {
            var calls = connections.calls(channel);
            List<String> all = new ArrayList<>(setup.repositories());
            if (setup.manyRefsRepository() != null) {
                all.add(setup.manyRefsRepository());
            }
            for (String path : all) {
                Repository repository = Repository.newBuilder().setStorageName(setup.virtualStorage()).setRelativePath(path)
                        .build();
                try {
                    RepositoryServiceGrpc.newBlockingStub(calls).withDeadlineAfter(60, TimeUnit.SECONDS).createRepository(
                            CreateRepositoryRequest.newBuilder().setRepository(repository).build());
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                        throw e;
                    }
                }
                RefServiceGrpc.RefServiceBlockingStub refs = RefServiceGrpc.newBlockingStub(calls);
                if (!refs.withDeadlineAfter(30, TimeUnit.SECONDS).findRef(FindRefRequest.newBuilder()
                        .setRepository(repository).setName("refs/heads/main").build()).hasReference()) {
                    OperationServiceGrpc.newBlockingStub(calls).withDeadlineAfter(60, TimeUnit.SECONDS)
                            .commitFiles(commit(repository, plan.seed()));
                }
            }
            if (setup.manyRefsRepository() != null) {
                manyRefs(calls, Repository.newBuilder().setStorageName(setup.virtualStorage())
                        .setRelativePath(setup.manyRefsRepository()).build(), setup.manyRefs(), setup.manyRefsDirs());
            }
        } finally {
            Connections.close(channel);
        }
    }

    /**
     * {@code count} branches {@code refs/heads/b/NNNNNN} at main's commit, written into {@code packed-refs} of every
     * replica (merged with what is there, sorted, replaced atomically) — as a repository that grew over time has
     * them. Through the API (atomic UpdateReferences batches of 10,000 via the proxy) this took minutes here,
     * because every atomic batch rewrites packed-refs on every replica.
     */
    private void manyRefs(io.grpc.Channel calls, Repository repository, int count, List<String> dirs) throws Exception {
        String head = Operations.head(RefServiceGrpc.newBlockingStub(calls).withDeadlineAfter(30, TimeUnit.SECONDS),
                repository);
        long started = System.nanoTime();
        for (String dir : dirs) {
            Path packed = Path.of(dir, "packed-refs");
            java.util.TreeMap<String, String> refs = new java.util.TreeMap<>();
            if (Files.exists(packed)) {
                for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
                    if (!line.startsWith("#") && !line.startsWith("^") && line.length() > 41) {
                        refs.put(line.substring(41), line.substring(0, 40));
                    }
                }
            }
            for (int i = 0; i < count; i++) {
                refs.putIfAbsent(branch(i), head);
            }
            StringBuilder text = new StringBuilder("# pack-refs with: peeled fully-peeled sorted \n");
            refs.forEach((name, id) -> text.append(id).append(' ').append(name).append('\n'));
            Path temporary = Path.of(dir, "packed-refs.bench");
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            Files.move(temporary, packed, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        out.printf(Locale.ROOT, "  set-up: %d branches in packed-refs of %s on %d replicas in %.1f s%n", count,
                repository.getRelativePath(), dirs.size(), (System.nanoTime() - started) / 1e9);
    }

    private static String branch(int i) {
        return String.format(Locale.ROOT, "refs/heads/b/%06d", i);
    }

    private static CommitFilesRequest commit(Repository repository, long seed) {
        Signature person = Signature.newBuilder().setName("Bench").setEmail("bench@example.com")
                .setTimeSeconds(1_767_323_045L).setTimeSet(true).build();
        byte[] content = new byte[1024];
        new Random(seed).nextBytes(content);
        return CommitFilesRequest.newBuilder().setRepository(repository).setBranch("main").setMessage("bench")
                .setAuthor(person).setCommitter(person).addActions(FileAction.newBuilder().setType(FileAction.Type.CREATE)
                        .setPath(Operations.FILE).setContent(ByteString.copyFrom(content))).build();
    }
}
