package io.gitward.proxy.store;

import java.util.Collection;

/**
 * Exclusive write access to one repository (see {@link ClusterStore#beginWrite}). Changes are recorded here
 * and applied together by {@link #commit()}, which also closes this write's intent and releases the lock.
 * Closing without committing rolls the changes back and leaves the intent open, exactly as a crash would
 * (reconciliation repairs it); {@link #abandon()} is for writes that touched no replica.
 */
public interface RepositoryWrite extends AutoCloseable {
    /** The repository as it was when the lock was taken. */
    RepositoryState state();

    /** The id of this write's intent. */
    long intentId();

    /** Sets a replica's generation, adding the replica if the repository did not have it. */
    void setGeneration(String storage, long generation);

    void setPrimary(String storage);

    /** Also closes these (older, crashed) intents of the same repository on commit. */
    void resolveIntents(Collection<Long> intentIds);

    /** Applies every recorded change and closes the intent, atomically; then releases the lock. */
    void commit() throws StoreException;

    /** No replica was touched: closes the intent without changes and releases the lock. */
    void abandon() throws StoreException;

    /**
     * The repository exists on no replica (a failed creation, a completed removal): forgets it with its replicas,
     * every intent and queued jobs, atomically; then releases the lock.
     */
    void delete() throws StoreException;

    /** Without commit or abandon: rolls back, releases the lock, leaves the intent open. */
    @Override
    void close();
}
