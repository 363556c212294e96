package io.gitward.proxy.replication;

import io.gitward.proxy.ProxySettings.ReplicationSettings;
import io.gitward.proxy.route.HealthMonitor;
import io.gitward.proxy.store.ClusterStore;
import io.gitward.proxy.store.ClusterStore.ReplicationJob;
import io.gitward.proxy.store.ClusterStore.WriteIntent;
import io.gitward.proxy.store.RepositoryState;
import io.gitward.proxy.store.RepositoryWrite;
import io.gitward.proxy.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps replicas converging, whatever happened: workers run queued replication jobs (under the repository's
 * write lock, so repairs and writes never interleave; a failed job retries with doubling backoff); a sweep
 * queues a job for every replica that is behind without one; reconciliation closes write intents left by a
 * crash by comparing the replicas' checksums, so no replica stays wrongly marked up to date.
 */
public final class Repairs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Repairs.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REPLICATION_TIMEOUT = Duration.ofMinutes(10);
    private static final long IDLE_POLL_MILLIS = 500;

    private final ClusterStore store;
    private final HealthMonitor health;
    private final ReplicaCalls calls;
    private final String owner;
    private final Duration lockTimeout;
    private final ReplicationSettings settings;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private volatile boolean running = true;

    public Repairs(ClusterStore store, HealthMonitor health, ReplicaCalls calls, String owner, Duration lockTimeout,
            ReplicationSettings settings) {
        this.store = store;
        this.health = health;
        this.calls = calls;
        this.owner = owner;
        this.lockTimeout = lockTimeout;
        this.settings = settings;
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(settings.workers(), runnable -> {
            Thread thread = new Thread(runnable, "gitward-replication-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gitward-repairs");
            thread.setDaemon(true);
            return thread;
        });
    }

    public void start() {
        for (int i = 0; i < settings.workers(); i++) {
            workers.execute(this::workLoop);
        }
        timer.execute(this::reconcileOwnIntents);
        timer.scheduleWithFixedDelay(this::sweep, 1, 2, TimeUnit.SECONDS);
        long staleCheck = Math.max(1000, settings.reconcileAfter().toMillis() / 4);
        timer.scheduleWithFixedDelay(this::reconcileStaleIntents, staleCheck, staleCheck, TimeUnit.MILLISECONDS);
    }

    private void workLoop() {
        while (running) {
            try {
                Optional<ReplicationJob> job = store.claimJob(owner, Instant.now(), settings.lease());
                if (job.isEmpty()) {
                    Thread.sleep(IDLE_POLL_MILLIS);
                    continue;
                }
                run(job.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (StoreException | RuntimeException e) {
                LOG.warn("replication worker: {}", e.getMessage());
                sleepQuietly();
            }
        }
    }

    /** One job: make the target equal to an up-to-date source and record the source's generation for it. */
    void run(ReplicationJob job) throws StoreException {
        RepositoryWrite write;
        try {
            write = store.beginWrite(job.relativePath(), owner, lockTimeout);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.NOT_FOUND) {
                store.completeJob(job.id()); // the repository is gone: nothing to repair
                return;
            }
            throw e;
        }
        try (write) {
            RepositoryState state = write.state();
            if (!state.generations().containsKey(job.target()) || state.isUpToDate(job.target())) {
                write.abandon();
                store.completeJob(job.id());
                return;
            }
            String source = source(state, job.source());
            if (source == null || !health.healthy(job.target())) {
                write.abandon();
                retry(job, source == null ? "no healthy up-to-date source" : job.target() + " is down");
                return;
            }
            try {
                calls.replicate(job.target(), source, job.relativePath(), REPLICATION_TIMEOUT);
            } catch (ReplicaCalls.ReplicaCallException e) {
                // The target is still marked behind: whatever it holds now, nobody reads it.
                write.abandon();
                retry(job, e.getMessage());
                return;
            }
            write.setGeneration(job.target(), state.generations().get(source));
            write.commit();
            store.completeJob(job.id());
            LOG.info("{}: {} is up to date again (from {}, generation {})", job.relativePath(), job.target(), source,
                    state.generations().get(source));
        }
    }

    private String source(RepositoryState state, String preferred) {
        if (state.isUpToDate(preferred) && health.healthy(preferred)) {
            return preferred;
        }
        if (state.isUpToDate(state.primary()) && health.healthy(state.primary())) {
            return state.primary();
        }
        return state.upToDate().stream().filter(health::healthy).findFirst().orElse(null);
    }

    private void retry(ReplicationJob job, String error) throws StoreException {
        long delay = Math.min(settings.maxBackoff().toMillis(), 1000L << Math.min(job.attempts(), 20));
        store.retryJob(job.id(), error, Instant.now().plusMillis(delay));
    }

    /** Queues a job for every replica that is behind and has none. */
    void sweep() {
        try {
            Set<String> queued = new HashSet<>();
            for (ReplicationJob job : store.jobs()) {
                queued.add(job.relativePath() + "\n" + job.target());
            }
            for (RepositoryState state : store.repositories()) {
                for (String replica : state.generations().keySet()) {
                    if (!state.isUpToDate(replica) && !queued.contains(state.relativePath() + "\n" + replica)) {
                        store.enqueueReplication(state.relativePath(), replica, state.primary());
                    }
                }
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("replication sweep: {}", e.getMessage());
        }
    }

    private void reconcileOwnIntents() {
        try {
            for (WriteIntent intent : store.intentsOf(owner)) {
                reconcile(intent);
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("reconciling this proxy's open writes: {}", e.getMessage());
        }
    }

    private void reconcileStaleIntents() {
        try {
            for (WriteIntent intent : store.staleIntents(Instant.now(), settings.reconcileAfter())) {
                reconcile(intent);
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("reconciling stale writes: {}", e.getMessage());
        }
    }

    /**
     * A write whose outcome was never recorded: the replicas whose references equal the primary's (or, with the
     * primary unreadable, an up-to-date replica's) become the newest generation; every other replica is behind.
     */
    void reconcile(WriteIntent intent) throws StoreException {
        RepositoryWrite write;
        try {
            write = store.beginWrite(intent.relativePath(), owner, lockTimeout);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.NOT_FOUND) {
                return;
            }
            throw e;
        }
        try (write) {
            RepositoryState state = write.state();
            Map<String, String> checksums = new HashMap<>();
            int missing = 0;
            for (String replica : state.generations().keySet()) {
                if (!health.healthy(replica)) {
                    continue;
                }
                try {
                    checksums.put(replica, calls.checksum(replica, intent.relativePath(), CALL_TIMEOUT));
                } catch (ReplicaCalls.ReplicaCallException e) {
                    missing += e.notFound() ? 1 : 0;
                    LOG.info("reconciling {}: {}", intent.relativePath(), e.getMessage());
                }
            }
            if (missing == state.generations().size()) {
                // A creation that never reached any replica (or a removal that finished everywhere).
                write.delete();
                LOG.info("reconciled an unfinished write to {} (intent {} of {}): no replica has the repository;"
                        + " forgotten", intent.relativePath(), intent.id(), intent.owner());
                return;
            }
            String authority = checksums.containsKey(state.primary()) ? state.primary()
                    : state.upToDate().stream().filter(checksums::containsKey).findFirst().orElse(null);
            if (authority == null) {
                write.abandon(); // nobody to compare with yet; the intent stays and is tried again
                return;
            }
            String truth = checksums.get(authority);
            boolean allEqual = checksums.size() == state.generations().size()
                    && checksums.values().stream().allMatch(truth::equals);
            if (!allEqual) {
                long next = state.maxGeneration() + 1;
                checksums.forEach((replica, checksum) -> {
                    if (checksum.equals(truth)) {
                        write.setGeneration(replica, next);
                    }
                });
                if (!authority.equals(state.primary())) {
                    write.setPrimary(authority);
                }
            }
            write.resolveIntents(List.of(intent.id()));
            write.commit();
            LOG.info("reconciled an unfinished write to {} (intent {} of {}): {}", intent.relativePath(), intent.id(),
                    intent.owner(), allEqual ? "all replicas equal" : "replicas differing from " + authority + " are behind");
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(IDLE_POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        timer.shutdownNow();
        workers.shutdownNow();
    }
}
