package io.gitward.proxy.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The proxy's durable cluster state for one virtual storage: which storage nodes hold each repository, each
 * replica's generation (a replica is up to date when its generation equals the highest), the primary, write
 * intents (recorded before any replica is touched, so a proxy crash mid-write is found and repaired) and the
 * replication queue. Shared by every proxy of the virtual storage; writes to one repository are serialized
 * across all of them. Thread-safe.
 */
public interface ClusterStore extends AutoCloseable {
    /** The repository's state, or empty when the cluster does not know it. */
    Optional<RepositoryState> repository(String relativePath) throws StoreException;

    /**
     * The repository's state when this process holds a current copy of it, without reading the database (never
     * blocks); empty when it must be read with {@link #repository}.
     */
    default Optional<RepositoryState> cachedRepository(String relativePath) {
        return Optional.empty();
    }

    /** Every repository, ordered by relative path. */
    List<RepositoryState> repositories() throws StoreException;

    /**
     * Records a new repository whose {@code replicas} all start at generation 0.
     *
     * @return false when the repository is already known (nothing changed)
     */
    boolean createRepository(String relativePath, String primary, Collection<String> replicas) throws StoreException;

    /**
     * As {@link #createRepository(String, String, Collection)}, recording in the same transaction a write intent
     * of {@code owner} for the creation itself: a proxy that dies before the creation's outcome is recorded
     * leaves the intent, and reconciliation finds the repository on the replicas that have it (or forgets it).
     *
     * @return the creation's intent id (to resolve with the write that records the outcome), or empty when the
     *         repository is already known (nothing changed)
     */
    OptionalLong createRepository(String relativePath, String primary, Collection<String> replicas, String owner)
            throws StoreException;

    /**
     * Exclusive write access to one known repository, across every proxy sharing this store: waits up to
     * {@code lockTimeout} for other writers, then durably records a write intent (owner, start time) before
     * returning. The caller changes the replicas, records the outcome in the returned handle and commits.
     *
     * @throws StoreException NOT_FOUND for an unknown repository, LOCK_TIMEOUT when another writer held it
     *                        longer than {@code lockTimeout}, UNAVAILABLE when the database cannot be reached
     */
    RepositoryWrite beginWrite(String relativePath, String owner, Duration lockTimeout) throws StoreException;

    /** Write intents of {@code owner} left open (its previous run crashed or lost the database mid-write). */
    List<WriteIntent> intentsOf(String owner) throws StoreException;

    /** Write intents of any owner started before {@code now - olderThan} and never closed. */
    List<WriteIntent> staleIntents(Instant now, Duration olderThan) throws StoreException;

    /**
     * Queues "make {@code target} equal to {@code source}" for the repository. At most one job is pending per
     * (repository, target): queuing again replaces the source of the pending job.
     */
    void enqueueReplication(String relativePath, String target, String source) throws StoreException;

    /**
     * Claims the oldest due job (pending with not-before at or before {@code now}, or running with an expired
     * lease) for {@code owner} until {@code now + lease}; two proxies never hold the same job.
     */
    Optional<ReplicationJob> claimJob(String owner, Instant now, Duration lease) throws StoreException;

    /** The job succeeded: it is removed. */
    void completeJob(long id) throws StoreException;

    /** The job failed: pending again, attempts + 1, not before {@code notBefore}, with the error kept. */
    void retryJob(long id, String error, Instant notBefore) throws StoreException;

    /** Queued and running jobs, oldest first. */
    List<ReplicationJob> jobs() throws StoreException;

    /** Releases connections. */
    @Override
    void close();

    /** A write intent: someone began changing the repository's replicas and has not recorded the outcome. */
    record WriteIntent(long id, String relativePath, String owner, Instant startedAt) {
    }

    /** One queued or running replication. */
    record ReplicationJob(long id, String relativePath, String target, String source, String state, int attempts,
            Instant notBefore, String lastError) {
    }
}
