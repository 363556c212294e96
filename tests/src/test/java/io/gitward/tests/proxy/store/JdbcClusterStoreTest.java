package io.gitward.tests.proxy.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proxy.store.ClusterStore;
import io.gitward.proxy.store.ClusterStore.ReplicationJob;
import io.gitward.proxy.store.ClusterStore.WriteIntent;
import io.gitward.proxy.store.JdbcClusterStore;
import io.gitward.proxy.store.RepositoryState;
import io.gitward.proxy.store.RepositoryWrite;
import io.gitward.proxy.store.StoreException;
import io.gitward.proxy.store.StoreSettings;
import io.gitward.security.files.SecureFiles;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cluster store's contract, run unchanged on both databases it supports: the embedded H2 file and a real
 * PostgreSQL server ({@link TestPostgres}, one per class, a fresh database per test). Concurrency is real (two
 * store instances on one database, as two proxies would be), and every wait is bounded.
 */
class JdbcClusterStoreTest {
    private static final String VIRTUAL_STORAGE = "default";
    private static final String PATH = "@hashed/ab/cd/abcd.git";
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);
    private static final Duration STORE_LOCK_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration LEASE = Duration.ofMinutes(1);

    private static TestPostgres postgres;

    @TempDir
    Path temp;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private int h2Databases;

    /** The two databases every contract test runs on. */
    enum Backend {
        H2, POSTGRESQL
    }

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @ParameterizedTest(name = "on {0}")
    @EnumSource(Backend.class)
    @interface OnEachBackend {
    }

    @AfterEach
    void closeStores() throws Exception {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS), "test threads still running");
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    // Repositories and generations.

    @OnEachBackend
    @DisplayName("a created repository is read back with every replica at generation 0")
    void createdRepositoryIsReadBack(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));

        assertTrue(store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2", "storage-3")));
        assertTrue(store.createRepository("a/first.git", "storage-2", List.of("storage-2")));

        RepositoryState state = store.repository(PATH).orElseThrow();
        assertEquals("storage-1", state.primary());
        assertEquals(Map.of("storage-1", 0L, "storage-2", 0L, "storage-3", 0L), state.generations());
        assertEquals(0, state.maxGeneration());
        assertEquals(Set.of("storage-1", "storage-2", "storage-3"), state.upToDate());
        assertEquals(List.of("@hashed/ab/cd/abcd.git", "a/first.git"),
                store.repositories().stream().map(RepositoryState::relativePath).toList());
        assertEquals(Optional.empty(), store.repository("unknown.git"));
    }

    @OnEachBackend
    @DisplayName("creating a known repository again returns false and changes nothing")
    void secondCreateReturnsFalse(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"));
        commitGenerations(store, Map.of("storage-1", 1L));

        assertFalse(store.createRepository(PATH, "storage-3", List.of("storage-3")));

        RepositoryState state = store.repository(PATH).orElseThrow();
        assertEquals("storage-1", state.primary());
        assertEquals(Map.of("storage-1", 1L, "storage-2", 0L), state.generations());
    }

    @OnEachBackend
    @DisplayName("two stores racing to create the same repository create it once")
    void racingCreatesCreateOnce(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        List<ClusterStore> stores = List.of(open(database), open(database));
        for (int round = 0; round < 10; round++) {
            String path = "race/" + round + ".git";
            CyclicBarrier start = new CyclicBarrier(2);
            List<Future<Boolean>> creates = new ArrayList<>();
            for (ClusterStore store : stores) {
                String primary = store == stores.get(0) ? "storage-1" : "storage-2";
                creates.add(threads.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return store.createRepository(path, primary, List.of(primary));
                }));
            }
            int created = 0;
            for (Future<Boolean> create : creates) {
                created += get(create) ? 1 : 0;
            }
            assertEquals(1, created, path);
            RepositoryState state = stores.get(1).repository(path).orElseThrow();
            assertEquals(Map.of(state.primary(), 0L), state.generations(), "the winner's replicas only");
        }
    }

    @OnEachBackend
    @DisplayName("a commit applies generations, new replicas and the primary, and closes its intent")
    void commitAppliesChanges(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2", "storage-3"));

        try (RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT)) {
            assertEquals(Map.of("storage-1", 0L, "storage-2", 0L, "storage-3", 0L), write.state().generations());
            assertEquals(List.of(write.intentId()), store.intentsOf("proxy-1").stream().map(WriteIntent::id).toList());
            write.setGeneration("storage-1", 1);
            write.setGeneration("storage-2", 1);
            write.setGeneration("storage-3", -1);
            write.setGeneration("storage-4", 1);
            write.setPrimary("storage-2");
            write.commit();
        }

        RepositoryState state = store.repository(PATH).orElseThrow();
        assertEquals("storage-2", state.primary());
        assertEquals(Map.of("storage-1", 1L, "storage-2", 1L, "storage-3", -1L, "storage-4", 1L), state.generations());
        assertEquals(1, state.maxGeneration());
        assertEquals(Set.of("storage-1", "storage-2", "storage-4"), state.upToDate());
        assertFalse(state.isUpToDate("storage-3"));
        assertEquals(List.of(), store.intentsOf("proxy-1"));
    }

    // Writes: serialization, timeouts and crash semantics.

    @OnEachBackend
    @DisplayName("a second writer of a repository, on another store, waits for the first to commit")
    void secondWriterWaits(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore first = open(database);
        ClusterStore second = open(database);
        first.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"));
        RepositoryWrite held = first.beginWrite(PATH, "proxy-1", WAIT);
        AtomicReference<Instant> committedAt = new AtomicReference<>();

        Future<Map<String, Long>> waiting = threads.submit(() -> {
            try (RepositoryWrite write = second.beginWrite(PATH, "proxy-2", Duration.ofSeconds(20))) {
                Instant lockedAt = Instant.now();
                assertTrue(committedAt.get() != null && !lockedAt.isBefore(committedAt.get()), "locked before the commit");
                write.abandon();
                return write.state().generations();
            }
        });
        assertThrows(TimeoutException.class, () -> waiting.get(500, TimeUnit.MILLISECONDS), "the second writer did not wait");
        held.setGeneration("storage-1", 1);
        committedAt.set(Instant.now());
        held.commit();

        assertEquals(Map.of("storage-1", 1L, "storage-2", 0L), get(waiting), "the second writer sees the first's commit");
    }

    @OnEachBackend
    @DisplayName("a writer of another repository is not blocked, nor is a reader of the locked one")
    void otherRepositoryIsNotBlocked(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore first = open(database);
        ClusterStore second = open(database);
        first.createRepository(PATH, "storage-1", List.of("storage-1"));
        first.createRepository("other.git", "storage-1", List.of("storage-1"));

        try (RepositoryWrite held = first.beginWrite(PATH, "proxy-1", WAIT)) {
            long start = System.nanoTime();
            try (RepositoryWrite other = second.beginWrite("other.git", "proxy-2", Duration.ofSeconds(2))) {
                other.setGeneration("storage-1", 1);
                other.commit();
            }
            assertEquals("storage-1", second.repository(PATH).orElseThrow().primary());
            assertEquals(2, second.repositories().size());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
            held.abandon();
        }
        assertEquals(1, first.repository("other.git").orElseThrow().maxGeneration());
    }

    @OnEachBackend
    @DisplayName("a writer waiting longer than its lock timeout fails with LOCK_TIMEOUT and leaves no intent")
    void lockTimeout(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore first = open(database);
        ClusterStore second = open(database);
        first.createRepository(PATH, "storage-1", List.of("storage-1"));

        try (RepositoryWrite held = first.beginWrite(PATH, "proxy-1", WAIT)) {
            long start = System.nanoTime();
            StoreException e = assertThrows(StoreException.class,
                    () -> second.beginWrite(PATH, "proxy-2", Duration.ofMillis(300)));
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertEquals(StoreException.Kind.LOCK_TIMEOUT, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains(PATH), e.getMessage());
            assertTrue(waited.compareTo(Duration.ofMillis(250)) >= 0 && waited.compareTo(Duration.ofSeconds(5)) < 0,
                    "waited " + waited);
            assertEquals(List.of(), second.intentsOf("proxy-2"));
            held.setGeneration("storage-1", 1);
            held.commit();
        }
        assertEquals(1, second.repository(PATH).orElseThrow().maxGeneration());
    }

    @OnEachBackend
    @DisplayName("a write's own lock timeout ends with it: the next write on the same connection waits the store's")
    void ownLockTimeoutIsNotLeftOnThePooledConnection(Backend backend) throws Exception {
        StoreSettings shared = newDatabase(backend);
        ClusterStore first = open(shared);
        // One pooled connection per pool: the second write below is handed the connection the first one used.
        ClusterStore second = open(new StoreSettings(shared.url(), shared.user(), shared.passwordFile(), 1,
                STORE_LOCK_TIMEOUT));
        first.createRepository(PATH, "storage-1", List.of("storage-1"));

        RepositoryWrite held = first.beginWrite(PATH, "proxy-1", WAIT);
        StoreException e = assertThrows(StoreException.class,
                () -> second.beginWrite(PATH, "proxy-2", Duration.ofMillis(200)));
        assertEquals(StoreException.Kind.LOCK_TIMEOUT, e.kind(), e.getMessage());

        CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try (RepositoryWrite next = second.beginWrite(PATH, "proxy-2", STORE_LOCK_TIMEOUT)) {
                next.abandon();
                return System.nanoTime() - start;
            } catch (StoreException failed) {
                throw new CompletionException(failed);
            }
        });
        Thread.sleep(1_000);
        assertFalse(waited.isDone(), "the write with the store's 10 s lock timeout gave up after the earlier 200 ms");
        held.setGeneration("storage-1", 1);
        held.commit();
        assertTrue(waited.get(10, TimeUnit.SECONDS) >= TimeUnit.MILLISECONDS.toNanos(1_000));
    }

    @OnEachBackend
    @DisplayName("closing a write without commit changes nothing and leaves its intent open, as a crash would")
    void closeLeavesIntent(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"));

        long intentId;
        try (RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT)) {
            intentId = write.intentId();
            write.setGeneration("storage-1", 7);
            write.setPrimary("storage-2");
        }

        RepositoryState state = store.repository(PATH).orElseThrow();
        assertEquals("storage-1", state.primary());
        assertEquals(Map.of("storage-1", 0L, "storage-2", 0L), state.generations());
        WriteIntent intent = new WriteIntent(intentId, PATH, "proxy-1", T0);
        assertEquals(List.of(intent), store.intentsOf("proxy-1"));
        assertEquals(List.of(), store.intentsOf("proxy-2"));
        assertEquals(List.of(intent), store.staleIntents(T0.plus(Duration.ofMinutes(3)), Duration.ofMinutes(2)));
        assertEquals(List.of(), store.staleIntents(T0.plus(Duration.ofMinutes(1)), Duration.ofMinutes(2)));
        // The lock went with the transaction.
        store.beginWrite(PATH, "proxy-2", Duration.ofSeconds(2)).abandon();
    }

    @OnEachBackend
    @DisplayName("a creation records its intent with the repository, atomically; a second creation records nothing")
    void creationRecordsItsIntent(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));

        OptionalLong intent = store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"), "proxy-1");
        assertTrue(intent.isPresent());
        assertEquals(List.of(new WriteIntent(intent.getAsLong(), PATH, "proxy-1", T0)), store.intentsOf("proxy-1"));
        assertTrue(store.repository(PATH).orElseThrow().writing(), "a creation in flight is a write in flight");
        assertEquals(OptionalLong.empty(), store.createRepository(PATH, "storage-2", List.of("storage-2"), "proxy-2"));
        assertEquals(List.of(), store.intentsOf("proxy-2"));

        try (RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT)) {
            write.resolveIntents(List.of(intent.getAsLong()));
            write.setGeneration("storage-1", 1);
            write.commit();
        }
        assertEquals(List.of(), store.intentsOf("proxy-1"));
        assertFalse(store.repository(PATH).orElseThrow().writing());
    }

    @OnEachBackend
    @DisplayName("deleting through a write forgets the repository, its intents and jobs, under the write's lock")
    void writeDeletesRepository(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore store = open(database);
        ClusterStore other = open(database);
        store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"), "proxy-1");
        store.createRepository("kept.git", "storage-1", List.of("storage-1"), "proxy-1");
        store.enqueueReplication(PATH, "storage-2", "storage-1");
        store.enqueueReplication("kept.git", "storage-1", "storage-1");
        store.beginWrite(PATH, "proxy-1", WAIT).close();
        RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT);
        Future<Optional<RepositoryState>> waiting = threads.submit(() -> {
            try (RepositoryWrite next = other.beginWrite(PATH, "proxy-2", Duration.ofSeconds(20))) {
                return Optional.of(next.state());
            } catch (StoreException e) {
                assertEquals(StoreException.Kind.NOT_FOUND, e.kind(), e.getMessage());
                return Optional.empty();
            }
        });
        assertThrows(TimeoutException.class, () -> waiting.get(300, TimeUnit.MILLISECONDS), "the lock is held");

        write.delete();

        assertEquals(Optional.empty(), get(waiting), "the waiting writer finds the repository gone");
        assertEquals(Optional.empty(), store.repository(PATH));
        assertEquals(List.of("kept.git"), store.intentsOf("proxy-1").stream().map(WriteIntent::relativePath).toList());
        assertEquals(List.of("kept.git"), store.jobs().stream().map(ReplicationJob::relativePath).toList());
        assertThrows(IllegalStateException.class, write::commit);
        write.close();
        assertTrue(store.createRepository(PATH, "storage-2", List.of("storage-2")));
        assertEquals(Map.of("storage-2", 0L), store.repository(PATH).orElseThrow().generations());
    }

    @OnEachBackend
    @DisplayName("a repository reads as being written while any store's write intent on it is open")
    void openIntentMarksWriting(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore first = open(database);
        ClusterStore second = open(database);
        first.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"));
        first.createRepository("other.git", "storage-1", List.of("storage-1"));
        assertFalse(second.repository(PATH).orElseThrow().writing());

        try (RepositoryWrite write = first.beginWrite(PATH, "proxy-1", WAIT)) {
            assertTrue(second.repository(PATH).orElseThrow().writing(), "another proxy sees the write in flight");
            assertFalse(second.repository("other.git").orElseThrow().writing());
            write.setGeneration("storage-1", 1);
            write.commit();
        }
        assertFalse(second.repository(PATH).orElseThrow().writing());

        first.beginWrite(PATH, "proxy-1", WAIT).close(); // a crash: the intent stays until reconciled
        assertTrue(second.repositories().stream().filter(r -> r.relativePath().equals(PATH)).findFirst().orElseThrow()
                .writing());
        try (RepositoryWrite reconcile = second.beginWrite(PATH, "proxy-2", WAIT)) {
            reconcile.resolveIntents(second.intentsOf("proxy-1").stream().map(WriteIntent::id).toList());
            reconcile.commit();
        }
        assertFalse(first.repository(PATH).orElseThrow().writing());
    }

    @OnEachBackend
    @DisplayName("a commit also closes the crashed intents it resolves, of its own repository only")
    void commitResolvesIntents(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2"));
        store.createRepository("other.git", "storage-1", List.of("storage-1"));
        RepositoryWrite crashed = store.beginWrite(PATH, "proxy-1", WAIT);
        crashed.close();
        RepositoryWrite otherCrashed = store.beginWrite("other.git", "proxy-1", WAIT);
        otherCrashed.close();

        try (RepositoryWrite repair = store.beginWrite(PATH, "reconciler", WAIT)) {
            repair.resolveIntents(List.of(crashed.intentId(), otherCrashed.intentId()));
            repair.setGeneration("storage-2", -1);
            repair.commit();
        }

        assertEquals(List.of(otherCrashed.intentId()), store.intentsOf("proxy-1").stream().map(WriteIntent::id).toList());
        assertEquals(List.of(), store.intentsOf("reconciler"));
        assertEquals(-1L, store.repository(PATH).orElseThrow().generations().get("storage-2"));
    }

    @OnEachBackend
    @DisplayName("an abandoned write closes its intent without changes and cannot be used again")
    void abandonClosesIntent(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.createRepository(PATH, "storage-1", List.of("storage-1"));

        RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT);
        write.setGeneration("storage-1", 3);
        write.abandon();

        assertEquals(0, store.repository(PATH).orElseThrow().maxGeneration());
        assertEquals(List.of(), store.intentsOf("proxy-1"));
        assertThrows(IllegalStateException.class, () -> write.setGeneration("storage-1", 4));
        assertThrows(IllegalStateException.class, write::commit);
        write.close();
        store.beginWrite(PATH, "proxy-2", Duration.ofSeconds(2)).abandon();
    }

    @OnEachBackend
    @DisplayName("an unknown repository or job is NOT_FOUND, and leaves no intent")
    void unknownIsNotFound(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));

        StoreException write = assertThrows(StoreException.class, () -> store.beginWrite("missing.git", "proxy-1", WAIT));
        assertEquals(StoreException.Kind.NOT_FOUND, write.kind());
        assertTrue(write.getMessage().contains("missing.git"), write.getMessage());
        assertEquals(List.of(), store.intentsOf("proxy-1"));
        assertEquals(StoreException.Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.completeJob(4711)).kind());
        assertEquals(StoreException.Kind.NOT_FOUND,
                assertThrows(StoreException.class, () -> store.retryJob(4711, "boom", T0)).kind());
    }

    // The replication queue.

    @OnEachBackend
    @DisplayName("queuing twice for one target keeps one pending job with the newer source")
    void enqueueDeduplicatesPerTarget(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));

        store.enqueueReplication(PATH, "storage-2", "storage-1");
        store.enqueueReplication(PATH, "storage-2", "storage-3");
        store.enqueueReplication(PATH, "storage-3", "storage-1");
        store.enqueueReplication("other.git", "storage-2", "storage-1");

        List<ReplicationJob> jobs = store.jobs();
        assertEquals(3, jobs.size(), jobs.toString());
        assertEquals(new ReplicationJob(jobs.get(0).id(), PATH, "storage-2", "storage-3", "pending", 0, T0, null),
                jobs.get(0));
        assertEquals(List.of("storage-2", "storage-3", "storage-2"), jobs.stream().map(ReplicationJob::target).toList());
    }

    @OnEachBackend
    @DisplayName("queuing while the target's job runs adds one pending job and leaves the running one alone")
    void enqueueWhileRunning(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.enqueueReplication(PATH, "storage-2", "storage-1");
        ReplicationJob running = store.claimJob("proxy-1", T0, LEASE).orElseThrow();

        store.enqueueReplication(PATH, "storage-2", "storage-1");
        store.enqueueReplication(PATH, "storage-2", "storage-3");

        List<ReplicationJob> jobs = store.jobs();
        assertEquals(2, jobs.size(), jobs.toString());
        assertEquals(new ReplicationJob(running.id(), PATH, "storage-2", "storage-1", "running", 0, T0, null),
                jobs.get(0));
        assertEquals("pending", jobs.get(1).state());
        assertEquals("storage-3", jobs.get(1).source());
    }

    @OnEachBackend
    @DisplayName("claims return the oldest due job first, then nothing")
    void claimOrder(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.enqueueReplication("a.git", "storage-2", "storage-1");
        store.enqueueReplication("b.git", "storage-2", "storage-1");
        store.enqueueReplication("c.git", "storage-3", "storage-1");

        List<String> claimed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ReplicationJob job = store.claimJob("proxy-1", T0, LEASE).orElseThrow();
            assertEquals("running", job.state());
            claimed.add(job.relativePath());
        }

        assertEquals(List.of("a.git", "b.git", "c.git"), claimed);
        assertEquals(Optional.empty(), store.claimJob("proxy-1", T0, LEASE));
        assertEquals(Optional.empty(), store.claimJob("proxy-1", T0.minusSeconds(1), LEASE), "not due before T0");
    }

    @OnEachBackend
    @DisplayName("two stores claiming at once never get the same job")
    void concurrentClaimsAreExclusive(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        List<ClusterStore> stores = List.of(open(database), open(database));
        int jobCount = 40;
        for (int i = 0; i < jobCount; i++) {
            stores.get(0).enqueueReplication("repo-" + i + ".git", "storage-2", "storage-1");
        }

        CyclicBarrier start = new CyclicBarrier(stores.size());
        List<Future<List<Long>>> claimers = new ArrayList<>();
        for (ClusterStore store : stores) {
            claimers.add(threads.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                List<Long> ids = new ArrayList<>();
                for (int i = 0; i <= jobCount; i++) {
                    Optional<ReplicationJob> job = store.claimJob("proxy-" + stores.indexOf(store), T0, LEASE);
                    if (job.isEmpty()) {
                        return ids;
                    }
                    ids.add(job.get().id());
                }
                throw new AssertionError("more claims than jobs: " + ids);
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<List<Long>> claimer : claimers) {
            all.addAll(get(claimer));
        }

        assertEquals(jobCount, all.size(), "claims: " + all);
        assertEquals(jobCount, new HashSet<>(all).size(), "a job was claimed twice: " + all);
        assertTrue(stores.get(0).jobs().stream().allMatch(job -> job.state().equals("running")));
    }

    @OnEachBackend
    @DisplayName("an expired lease lets another owner claim the job")
    void expiredLease(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore first = open(database);
        ClusterStore second = open(database);
        first.enqueueReplication(PATH, "storage-2", "storage-1");
        ReplicationJob job = first.claimJob("proxy-1", T0, LEASE).orElseThrow();

        assertEquals(Optional.empty(), second.claimJob("proxy-2", T0.plus(LEASE).minusSeconds(1), LEASE));
        ReplicationJob taken = second.claimJob("proxy-2", T0.plus(LEASE).plusSeconds(1), LEASE).orElseThrow();

        assertEquals(job.id(), taken.id());
        assertEquals("running", taken.state());
        assertEquals(Optional.empty(), first.claimJob("proxy-1", T0.plus(LEASE).plusSeconds(2), LEASE), "leased again");
    }

    @OnEachBackend
    @DisplayName("a retried job is pending again with one more attempt, its delay and its error")
    void retry(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.enqueueReplication(PATH, "storage-2", "storage-1");
        long id = store.claimJob("proxy-1", T0, LEASE).orElseThrow().id();
        Instant later = T0.plus(Duration.ofSeconds(30));

        store.retryJob(id, "fetch failed: connection reset", later);

        assertEquals(List.of(new ReplicationJob(id, PATH, "storage-2", "storage-1", "pending", 1, later,
                "fetch failed: connection reset")), store.jobs());
        assertEquals(Optional.empty(), store.claimJob("proxy-1", later.minusMillis(1), LEASE));
        assertEquals(id, store.claimJob("proxy-1", later, LEASE).orElseThrow().id());

        store.retryJob(id, "x".repeat(1500) + "\0", later);
        ReplicationJob retried = store.jobs().get(0);
        assertEquals(2, retried.attempts());
        assertEquals("x".repeat(1000), retried.lastError());
    }

    @OnEachBackend
    @DisplayName("a retried job whose target was queued again meanwhile merges into the pending job")
    void retryMergesIntoPending(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.enqueueReplication(PATH, "storage-2", "storage-1");
        long running = store.claimJob("proxy-1", T0, LEASE).orElseThrow().id();
        store.enqueueReplication(PATH, "storage-2", "storage-3");
        Instant later = T0.plus(Duration.ofSeconds(30));

        store.retryJob(running, "boom", later);

        List<ReplicationJob> jobs = store.jobs();
        assertEquals(1, jobs.size(), jobs.toString());
        assertEquals(new ReplicationJob(jobs.get(0).id(), PATH, "storage-2", "storage-3", "pending", 1, later, "boom"),
                jobs.get(0));
    }

    @OnEachBackend
    @DisplayName("a completed job is removed")
    void complete(Backend backend) throws Exception {
        ClusterStore store = open(newDatabase(backend));
        store.enqueueReplication(PATH, "storage-2", "storage-1");
        store.enqueueReplication(PATH, "storage-3", "storage-1");
        long id = store.claimJob("proxy-1", T0, LEASE).orElseThrow().id();

        store.completeJob(id);

        assertEquals(List.of("storage-3"), store.jobs().stream().map(ReplicationJob::target).toList());
        assertEquals(StoreException.Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.completeJob(id)).kind());
    }

    // Sharing a database.

    @OnEachBackend
    @DisplayName("virtual storages sharing a database see only their own repositories, intents and jobs")
    void virtualStoragesAreIsolated(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        ClusterStore east = open(database, "east");
        ClusterStore west = open(database, "west");
        east.createRepository(PATH, "storage-1", List.of("storage-1"));
        west.createRepository(PATH, "storage-9", List.of("storage-9"));
        west.createRepository("west-only.git", "storage-9", List.of("storage-9"));
        east.enqueueReplication(PATH, "storage-2", "storage-1");

        try (RepositoryWrite eastWrite = east.beginWrite(PATH, "proxy-1", WAIT);
                RepositoryWrite westWrite = west.beginWrite(PATH, "proxy-1", Duration.ofSeconds(2))) {
            assertEquals("storage-1", eastWrite.state().primary());
            assertEquals("storage-9", westWrite.state().primary());
            assertEquals(List.of(eastWrite.intentId()), east.intentsOf("proxy-1").stream().map(WriteIntent::id).toList());
            assertEquals(List.of(westWrite.intentId()), west.intentsOf("proxy-1").stream().map(WriteIntent::id).toList());
        }
        assertEquals(List.of(PATH), east.repositories().stream().map(RepositoryState::relativePath).toList());
        assertEquals(List.of(), west.jobs());
        assertEquals(Optional.empty(), west.claimJob("proxy-1", T0, LEASE));
        long eastJob = east.jobs().get(0).id();
        assertEquals(StoreException.Kind.NOT_FOUND, assertThrows(StoreException.class, () -> west.completeJob(eastJob)).kind());
        assertEquals(1, west.staleIntents(T0.plus(Duration.ofHours(1)), Duration.ofMinutes(1)).size());

        west.beginWrite(PATH, "proxy-1", WAIT).delete();

        assertEquals("storage-1", east.repository(PATH).orElseThrow().primary());
        assertEquals(1, east.jobs().size());
        assertEquals(1, east.intentsOf("proxy-1").size());
    }

    @OnEachBackend
    @DisplayName("stores opening a new database at once all create or find the same schema")
    void concurrentSchemaCreation(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        int count = 4;
        CyclicBarrier start = new CyclicBarrier(count);
        List<Future<ClusterStore>> opening = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            opening.add(threads.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return open(database);
            }));
        }
        List<ClusterStore> stores = new ArrayList<>();
        for (Future<ClusterStore> store : opening) {
            stores.add(get(store));
        }

        assertTrue(stores.get(0).createRepository(PATH, "storage-1", List.of("storage-1")));
        for (ClusterStore store : stores) {
            assertEquals("storage-1", store.repository(PATH).orElseThrow().primary());
        }
    }

    @OnEachBackend
    @DisplayName("a database whose schema is newer than this proxy's is refused")
    void newerSchemaIsRefused(Backend backend) throws Exception {
        StoreSettings database = newDatabase(backend);
        open(database).close();
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
        }

        StoreException e = assertThrows(StoreException.class, () -> open(database));

        assertEquals(StoreException.Kind.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
    }

    @OnEachBackend
    @DisplayName("an unreachable database is UNAVAILABLE, named without its password")
    void unreachableDatabase(Backend backend) throws Exception {
        int port = closedPort();
        Path passwordFile = temp.resolve("password");
        SecureFiles.writePrivate(passwordFile, "file-secret-4711\n".getBytes(StandardCharsets.UTF_8));
        String url = switch (backend) {
            case H2 -> "jdbc:h2:tcp://127.0.0.1:" + port + "/./cluster;PASSWORD=url-secret-0815";
            case POSTGRESQL -> "jdbc:postgresql://127.0.0.1:" + port + "/gitward?password=url-secret-0815&connectTimeout=5";
        };
        StoreSettings settings = new StoreSettings(url, "gitward", passwordFile, 2, STORE_LOCK_TIMEOUT);

        long start = System.nanoTime();
        StoreException e = assertThrows(StoreException.class, () -> open(settings));

        assertEquals(StoreException.Kind.UNAVAILABLE, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains("secret"), t.toString());
        }
        assertFalse(e.getMessage().contains("file-secret"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(15).toNanos());
    }

    @Test
    @DisplayName("when the PostgreSQL server goes away, a write cannot commit and reads are UNAVAILABLE")
    void serverGoneIsUnavailable() throws Exception {
        try (TestPostgres server = TestPostgres.start()) {
            StoreSettings settings = new StoreSettings(server.jdbcUrl(), server.user(), server.passwordFile(), 2,
                    STORE_LOCK_TIMEOUT);
            ClusterStore store = open(settings);
            store.createRepository(PATH, "storage-1", List.of("storage-1"));
            RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT);
            write.setGeneration("storage-1", 1);

            server.close();

            long start = System.nanoTime();
            StoreException commit = assertThrows(StoreException.class, write::commit);
            assertEquals(StoreException.Kind.UNAVAILABLE, commit.kind(), commit.getMessage());
            StoreException read = assertThrows(StoreException.class, store::repositories);
            assertEquals(StoreException.Kind.UNAVAILABLE, read.kind(), read.getMessage());
            assertTrue(read.getMessage().contains("jdbc:postgresql://127.0.0.1:" + server.port()), read.getMessage());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(15).toNanos());
        }
    }

    // Helpers.

    /** A new, empty database: an embedded H2 file under the test's directory, or a new PostgreSQL database. */
    private StoreSettings newDatabase(Backend backend) throws Exception {
        return switch (backend) {
            case H2 -> new StoreSettings(StoreSettings.embeddedUrl(temp.resolve("node-" + ++h2Databases)), "", null, 8,
                    STORE_LOCK_TIMEOUT);
            case POSTGRESQL -> new StoreSettings(postgres().createDatabase(), postgres().user(), postgres().passwordFile(),
                    8, STORE_LOCK_TIMEOUT);
        };
    }

    private static synchronized TestPostgres postgres() throws Exception {
        if (postgres == null) {
            postgres = TestPostgres.start();
        }
        return postgres;
    }

    private ClusterStore open(StoreSettings settings) throws StoreException {
        return open(settings, VIRTUAL_STORAGE);
    }

    private ClusterStore open(StoreSettings settings, String virtualStorage) throws StoreException {
        JdbcClusterStore store = JdbcClusterStore.open(settings, virtualStorage, CLOCK);
        synchronized (toClose) {
            toClose.add(store);
        }
        return store;
    }

    private static Connection connect(StoreSettings settings) throws Exception {
        String password = settings.passwordFile() == null ? ""
                : Files.readString(settings.passwordFile(), StandardCharsets.UTF_8).strip();
        return DriverManager.getConnection(settings.url(), settings.user(), password);
    }

    /** Commits one write that sets these generations. */
    private static void commitGenerations(ClusterStore store, Map<String, Long> generations) throws StoreException {
        try (RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT)) {
            generations.forEach(write::setGeneration);
            write.commit();
        }
    }

    /** A port nothing listens on: bound by us a moment ago, then closed. */
    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }
}
