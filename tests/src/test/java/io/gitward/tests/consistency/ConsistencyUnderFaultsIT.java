package io.gitward.tests.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.security.identity.Role;
import io.gitward.tests.SuiteSummary;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.storage.Requests;
import io.gitward.tests.storage.SmartHttpBridge;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compare-and-swap on references, commits (CommitFiles) and git pushes through the proxy, on three repositories,
 * while storage nodes, the standalone coordinator and the proxy are killed (SIGKILL) or paused (SIGSTOP) at seeded
 * moments. Every call is recorded with what its status proves; after the cluster healed, every reference's history
 * must be linearizable (reads routed to the primary and reads spread over up-to-date replicas alike: the README
 * promises both see every acknowledged write), the branches grown by commits and pushes must hold every
 * acknowledged one in order, every replica's checksum must equal the primary's and no replica may be marked up to
 * date while it differs.
 *
 * <p>{@code -Dgitward.faults.seed=N} replays a run; {@code -Dgitward.faults.seconds=S} sets the load's length.
 */
class ConsistencyUnderFaultsIT {
    private static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");
    private static final String COORDINATOR = "coordinator-1";
    private static final String PROXY = "proxy-1";
    private static final List<String> REPOSITORIES = List.of("faults/cas-1.git", "faults/cas-2.git", "faults/cas-3.git");
    private static final int CLIENTS = 3;
    private static final int POOL = 1500;
    /** Grown by CommitFiles appends (repository 2) and by git pushes (repository 3): two clients each. */
    private static final RegisterClient.Ref COMMITS = new RegisterClient.Ref("faults/cas-2.git", "refs/heads/commits");
    private static final RegisterClient.Ref PUSHED = new RegisterClient.Ref("faults/cas-3.git", "refs/heads/pushed");
    private static final int CHAIN_CLIENTS = 2;

    @TempDir
    Path dir;

    @Test
    void everyReferenceStaysLinearizableWhileNodesDie() throws Exception {
        long seed = Long.getLong("gitward.faults.seed", 20_260_101L);
        long loadMillis = TimeUnit.SECONDS.toMillis(Long.getLong("gitward.faults.seconds", 50L));
        System.out.println("[faults] seed " + seed + " (replay with -Dgitward.faults.seed=" + seed + ")");
        Random random = new Random(seed);
        try (MiniCluster cluster = MiniCluster.create(dir, "6")) {
            cluster.start(STORAGES.stream().map(name -> NodeSpec.replica(name).with("storage.vote-timeout", "5s"))
                    .toArray(NodeSpec[]::new));
            cluster.start(NodeSpec.coordinator(COORDINATOR));
            ClusterNode proxy = cluster.start(NodeSpec.proxy(PROXY, STORAGES.toArray(String[]::new))
                    .with("proxy.coordinator.mode", "standalone")
                    .with("proxy.coordinator.name", COORDINATOR)
                    .with("proxy.coordinator.tls-address", "\"" + cluster.node(COORDINATOR).tlsAddress() + "\"")).get(0);
            ProxyClients setup = new ProxyClients(cluster.channel(proxy, Role.CLIENT, "setup"),
                    cluster.channel(proxy, Role.ADMIN, "admin-1"));

            Map<String, IntFunction<String>> pools = new LinkedHashMap<>();
            Map<String, AtomicInteger> next = new LinkedHashMap<>();
            for (String path : REPOSITORIES) {
                setup.create(path);
                List<String> pool = pushPool(setup.client(), path);
                pools.put(path, i -> i < pool.size() ? pool.get(i) : null);
                next.put(path, new AtomicInteger());
            }
            List<RegisterClient.Ref> refs = new ArrayList<>();
            REPOSITORIES.forEach(path -> refs.add(new RegisterClient.Ref(path, "refs/heads/main")));
            refs.add(new RegisterClient.Ref(REPOSITORIES.get(0), "refs/heads/side"));

            List<RegisterClient.Recorded> history = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger ids = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            List<ManagedChannel> channels = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            FaultSchedule faults = FaultSchedule.plan(random, loadMillis, STORAGES, COORDINATOR, PROXY);
            faults.plan().forEach(fault -> System.out.println("[faults] planned " + fault));
            long started = System.nanoTime();
            for (int i = 1; i <= CLIENTS; i++) {
                ManagedChannel channel = cluster.channel(proxy, Role.CLIENT, "client-" + i);
                channels.add(channel);
                Thread thread = new Thread(new RegisterClient("client-" + i, channel, refs, pools, next, ids, history::add,
                        random.nextLong(), stop), "register-client-" + i);
                threads.add(thread);
                thread.start();
            }
            CommitAppender commits = new CommitAppender(cluster.channel(proxy, Role.CLIENT, "committer"), COMMITS.path(),
                    COMMITS.ref().substring("refs/heads/".length()));
            SmartHttpBridge pushBridge = SmartHttpBridge.start(cluster.channel(proxy, Role.CLIENT, "pusher"),
                    MiniCluster.VIRTUAL_STORAGE);
            Repository pushLocal = new FileRepositoryBuilder().setGitDir(dir.resolve("push-local.git").toFile()).build();
            pushLocal.create(true);
            PushAppender pushes = new PushAppender(pushLocal, pushBridge.url(PUSHED.path()), PUSHED.ref());
            List<ChainClient> chainClients = new ArrayList<>();
            for (int i = 1; i <= CHAIN_CLIENTS; i++) {
                for (RegisterClient.Ref ref : List.of(COMMITS, PUSHED)) {
                    String name = (ref == COMMITS ? "committer-" : "pusher-") + i;
                    ManagedChannel channel = cluster.channel(proxy, Role.CLIENT, name);
                    channels.add(channel);
                    ChainClient client = new ChainClient(name, channel, ref, ref == COMMITS ? commits : pushes, ids,
                            history::add, random.nextLong(), stop);
                    chainClients.add(client);
                    Thread thread = new Thread(client, name);
                    threads.add(thread);
                    thread.start();
                }
            }
            Thread schedule = faults.start(cluster::node, () -> channels.forEach(ManagedChannel::resetConnectBackoff));
            schedule.join(loadMillis + 120_000);
            assertNull(faults.failure(), "every fault healed: " + faults.failure());
            assertTrue(!schedule.isAlive(), "the fault schedule ended");
            // The load runs to its planned end (the last faults heal before it), then stops.
            long loadEnd = started + TimeUnit.MILLISECONDS.toNanos(loadMillis);
            Awaitility.await().atMost(Duration.ofMillis(loadMillis + 1000)).pollInterval(Duration.ofMillis(200))
                    .until(() -> System.nanoTime() >= loadEnd);
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(30_000);
                assertTrue(!thread.isAlive(), thread.getName() + " ended");
            }
            long loadEnded = System.nanoTime();

            // Heal: every node is up; the proxy repairs whatever fell behind.
            Map<String, RepositoryStateResponse> states = new TreeMap<>();
            for (String path : REPOSITORIES) {
                RepositoryStateResponse state = setup.awaitConverged(path, Duration.ofSeconds(120));
                ProxyClients.assertNoWronglyUpToDateReplica(state);
                states.put(path, state);
            }
            long healed = System.nanoTime();
            for (String path : REPOSITORIES) {
                Map<String, String> checksums = new TreeMap<>();
                for (String storage : STORAGES) {
                    checksums.put(storage, checksum(cluster, storage, path));
                }
                String primary = checksums.get(states.get(path).getPrimary());
                checksums.forEach((storage, checksum) -> assertEquals(primary, checksum, path + ": " + storage
                        + "'s checksum against primary " + states.get(path).getPrimary() + " " + checksums));
            }
            // The last word of each history: what the healed primary holds must follow from every acknowledged write.
            new RegisterClient("final", channels.get(0), refs, pools, next, ids, history::add, 0, new AtomicBoolean(true))
                    .readAll();
            for (RegisterClient.Ref ref : List.of(COMMITS, PUSHED)) {
                new ChainClient("final", channels.get(0), ref, (client, sequence, parent) -> {
                    throw new IllegalStateException("the final client only reads");
                }, ids, history::add, 0, new AtomicBoolean(true)).readFinal();
            }

            List<RegisterClient.Recorded> recorded;
            synchronized (history) {
                recorded = List.copyOf(history);
            }
            Path target = Path.of("target");
            Files.createDirectories(target);
            Files.write(target.resolve("consistency-history-" + seed + ".txt"), recorded.stream()
                    .map(r -> r.operation().key() + " " + r.operation() + " " + r.code()
                            + (r.primaryRoute() ? " primary" : "") + " " + r.description().replace('\n', ' ')).toList());
            LinearizabilityChecker checker = new LinearizabilityChecker();
            long checking = System.nanoTime();
            LinearizabilityChecker.Result primaryReads = checker.check(recorded.stream()
                    .filter(r -> r.operation().kind() != Operation.Kind.READ || r.primaryRoute())
                    .map(RegisterClient.Recorded::operation).toList());
            LinearizabilityChecker.Result allReads = checker.check(recorded.stream().map(RegisterClient.Recorded::operation)
                    .toList());
            long checked = System.nanoTime();

            Map<String, List<String>> chainProblems = new TreeMap<>();
            Map<String, Long> acknowledgedAppends = new TreeMap<>();
            for (RegisterClient.Ref ref : List.of(COMMITS, PUSHED)) {
                List<String> chain = firstParentHistory(pushBridge.url(ref.path()), ref.ref());
                List<Operation> appends = recorded.stream().map(RegisterClient.Recorded::operation)
                        .filter(op -> op.key().equals(ref.key())).toList();
                acknowledgedAppends.put(ref.key(), appends.stream().filter(op -> op.kind() == Operation.Kind.CAS
                        && op.outcome() == Operation.Outcome.OK).count());
                System.out.printf("[faults] %s: %d acknowledged appends, %d commits in its history%n", ref.key(),
                        acknowledgedAppends.get(ref.key()), chain.size());
                chainProblems.put(ref.key(), ChainAudit.check(appends, chain));
            }
            pushBridge.close();
            pushLocal.close();

            String summary = summary(seed, recorded, faults, started, loadEnded, healed, checking, checked, allReads);
            System.out.println(summary);
            Files.writeString(target.resolve("consistency-summary.txt"), summary + "\n");
            Map<Operation.Outcome, Long> outcomes = outcomes(recorded, false);
            // Each check: its name and, when it fails, why. Recorded in the suite summary before any assertion.
            Map<String, String> failures = new LinkedHashMap<>();
            check(failures, "linearizable, reads from the primary", primaryReads.linearizable(), primaryReads::explanation);
            check(failures, "linearizable, every read", allReads.linearizable(), allReads::explanation);
            check(failures, "acknowledged commits are the predicted objects", commits.mispredicted().isEmpty(),
                    () -> List.copyOf(commits.mispredicted()).toString());
            chainProblems.forEach((key, problems) -> check(failures, key + ": every acknowledged append in order",
                    problems.isEmpty(), problems::toString));
            acknowledgedAppends.forEach((key, count) -> check(failures, key + ": at least 10 acknowledged appends",
                    count >= 10, () -> count + " acknowledged"));
            check(failures, "at least five faults injected", faults.injected().size() >= 5, () -> faults.injected().toString());
            check(failures, "at least 100 acknowledged updates", outcomes.getOrDefault(Operation.Outcome.OK, 0L) >= 100,
                    outcomes::toString);
            int cases = 6 + chainProblems.size() + acknowledgedAppends.size();
            Map<String, String> figures = new LinkedHashMap<>();
            figures.put("seed", Long.toString(seed));
            figures.put("operations", Integer.toString(recorded.size()));
            figures.put("acked-updates", Long.toString(outcomes.getOrDefault(Operation.Outcome.OK, 0L)));
            figures.put("acked-commits", Long.toString(acknowledgedAppends.get(COMMITS.key())));
            figures.put("acked-pushes", Long.toString(acknowledgedAppends.get(PUSHED.key())));
            figures.put("faults", Integer.toString(faults.injected().size()));
            figures.put("lost-acked", Long.toString(chainProblems.values().stream().flatMap(List::stream)
                    .filter(problem -> problem.startsWith("missing")).count()));
            boolean controlCaught = staleFinalReadIsCaught(checker, recorded);
            check(failures, "positive control: a lost acknowledged write is caught", controlCaught, () -> "not caught");
            SuiteSummary.record("consistency", cases, cases - failures.size(), failures.size(), figures);
            assertEquals(Map.of(), failures, "consistency checks that failed");
        }
    }

    private static void check(Map<String, String> failures, String name, boolean passed,
            java.util.function.Supplier<String> why) {
        if (!passed) {
            failures.put(name, why.get());
        }
    }

    /**
     * Positive control on the real history: the final read of a reference made to return the value its last
     * acknowledged CAS replaced (a lost acknowledged write) must be refused, naming that read.
     */
    private static boolean staleFinalReadIsCaught(LinearizabilityChecker checker, List<RegisterClient.Recorded> recorded) {
        List<Operation> operations = new ArrayList<>(recorded.stream().map(RegisterClient.Recorded::operation).toList());
        Operation last = operations.stream().filter(op -> op.kind() == Operation.Kind.CAS && op.outcome() == Operation.Outcome.OK)
                .max(java.util.Comparator.comparingLong(Operation::response)).orElseThrow();
        Operation finalRead = operations.stream().filter(op -> op.client().equals("final") && op.key().equals(last.key()))
                .findFirst().orElseThrow();
        operations.set(operations.indexOf(finalRead), Operation.read(finalRead.id(), "final", finalRead.key(),
                finalRead.invoke(), finalRead.response(), last.expected()));
        LinearizabilityChecker.Result sabotaged = checker.check(operations);
        System.out.println("[faults] positive control (final read made stale):\n" + sabotaged.explanation());
        return !sabotaged.linearizable() && sabotaged.explanation().contains("#" + finalRead.id() + " final read");
    }

    /** {@value #POOL} commits in a chain, pushed to {@code refs/heads/pool}: the values the clients store. */
    private List<String> pushPool(ManagedChannel client, String path) throws Exception {
        List<String> pool = new ArrayList<>();
        Path local = dir.resolve("pool-" + path.replace('/', '-'));
        try (SmartHttpBridge bridge = SmartHttpBridge.start(client, MiniCluster.VIRTUAL_STORAGE);
                Git git = Git.init().setDirectory(local.toFile()).setInitialBranch("pool").call()) {
            PersonIdent person = new PersonIdent("Pool Maker", "pool@example.com", new java.util.Date(Requests.TIME * 1000),
                    java.util.TimeZone.getTimeZone("UTC"));
            ObjectId parent = null;
            try (ObjectInserter inserter = git.getRepository().newObjectInserter()) {
                ObjectId tree = inserter.insert(new TreeFormatter());
                for (int i = 0; i < POOL; i++) {
                    CommitBuilder commit = new CommitBuilder();
                    commit.setTreeId(tree);
                    if (parent != null) {
                        commit.setParentId(parent);
                    }
                    commit.setAuthor(person);
                    commit.setCommitter(person);
                    commit.setMessage(path + " value " + i + "\n");
                    parent = inserter.insert(commit);
                    pool.add(parent.name());
                }
                inserter.flush();
            }
            RefUpdate update = git.getRepository().updateRef(Constants.R_HEADS + "pool");
            update.setNewObjectId(parent);
            update.forceUpdate();
            git.remoteAdd().setName("origin").setUri(new URIish(bridge.url(path))).call();
            RemoteRefUpdate.Status status = git.push().setRemote("origin").setRefSpecs(new RefSpec("pool:refs/heads/pool"))
                    .call().iterator().next().getRemoteUpdate("refs/heads/pool").getStatus();
            assertEquals(RemoteRefUpdate.Status.OK, status, "pool pushed to " + path);
        }
        Collections.shuffle(pool, new Random(path.hashCode()));
        return pool;
    }

    /** The branch's first-parent history, oldest first, fetched through the proxy with a real Git client. */
    private List<String> firstParentHistory(String url, String ref) throws Exception {
        Path clone = Files.createTempDirectory(dir, "history-");
        try (Git git = Git.init().setDirectory(clone.toFile()).setBare(true).call()) {
            git.fetch().setRemote(url).setRefSpecs(new RefSpec("+" + ref + ":" + ref)).call();
            List<String> history = new ArrayList<>();
            try (RevWalk walk = new RevWalk(git.getRepository())) {
                walk.setFirstParent(true);
                walk.markStart(walk.parseCommit(git.getRepository().resolve(ref)));
                walk.forEach(commit -> history.add(commit.name()));
            }
            Collections.reverse(history);
            return history;
        }
    }

    private static String checksum(MiniCluster cluster, String storage, String path) throws Exception {
        // The proxy's own identity: the one caller storage nodes answer Checksum for.
        ManagedChannel channel = cluster.channel(cluster.node(storage), Role.PROXY, PROXY);
        return MaintenanceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .checksum(ChecksumRequest.newBuilder().setRepository(ProxyClients.repository(path)).build()).getChecksum();
    }

    private static Map<Operation.Outcome, Long> outcomes(List<RegisterClient.Recorded> recorded, boolean reads) {
        Map<Operation.Outcome, Long> counts = new EnumMap<>(Operation.Outcome.class);
        recorded.stream().filter(r -> (r.operation().kind() == Operation.Kind.READ) == reads)
                .forEach(r -> counts.merge(r.operation().outcome(), 1L, Long::sum));
        return counts;
    }

    private static String summary(long seed, List<RegisterClient.Recorded> recorded, FaultSchedule faults, long started,
            long loadEnded, long healed, long checking, long checked, LinearizabilityChecker.Result result) {
        Map<Status.Code, Long> codes = recorded.stream().collect(Collectors.groupingBy(RegisterClient.Recorded::code,
                TreeMap::new, Collectors.counting()));
        Map<FaultSchedule.Kind, Long> kinds = faults.injected().stream().collect(Collectors.groupingBy(
                injected -> injected.fault().kind(), () -> new EnumMap<>(FaultSchedule.Kind.class), Collectors.counting()));
        long visited = result.keys().stream().mapToLong(LinearizabilityChecker.KeyResult::visited).sum();
        return String.format(java.util.Locale.ROOT, "consistency under faults: seed %d, %d operations (updates %s, reads %s),"
                + " codes %s, %d faults %s, load %.1f s, heal %.1f s, check %.2f s (%d keys, %d configurations): %s",
                seed, recorded.size(), outcomes(recorded, false), outcomes(recorded, true), codes, faults.injected().size(),
                kinds, (loadEnded - started) / 1e9, (healed - loadEnded) / 1e9, (checked - checking) / 1e9,
                result.keys().size(), visited, result.linearizable() ? "LINEARIZABLE" : "NOT LINEARIZABLE");
    }
}
