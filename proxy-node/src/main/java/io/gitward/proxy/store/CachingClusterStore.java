package io.gitward.proxy.store;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps repository states in memory for a store that this proxy alone writes (the embedded database), so a
 * proxied read can route without a pooled connection — on the transport thread, without a hand-off.
 *
 * <p>Every change of a repository's state through this store (a creation, a write's intent and its end) moves
 * one version, after the database committed it. A state is served from memory only while the version it was
 * read under is still current: a state read before a change committed is never served after the change, and
 * the proxy acknowledges a write only after its commit. Must not wrap a store that another process writes (a
 * shared PostgreSQL database): those changes move no version here. Thread-safe.
 */
public final class CachingClusterStore implements ClusterStore {
    /** Beyond this many states (a repository each) memory starts over; reads then go to the database again. */
    static final int MAX_ENTRIES = 100_000;

    private final ClusterStore store;
    private final AtomicLong version = new AtomicLong();
    private final Map<String, Entry> states = new ConcurrentHashMap<>();

    public CachingClusterStore(ClusterStore store) {
        this.store = requireNonNull(store, "store");
    }

    private record Entry(RepositoryState state, long version) {
    }

    @Override
    public Optional<RepositoryState> cachedRepository(String relativePath) {
        Entry entry = states.get(requireNonNull(relativePath, "relativePath"));
        return entry != null && entry.version == version.get() ? Optional.of(entry.state) : Optional.empty();
    }

    @Override
    public Optional<RepositoryState> repository(String relativePath) throws StoreException {
        Optional<RepositoryState> cached = cachedRepository(relativePath);
        if (cached.isPresent()) {
            return cached;
        }
        // The version is taken before the read: a change committed meanwhile makes this entry stale at once.
        long readUnder = version.get();
        Optional<RepositoryState> state = store.repository(relativePath);
        if (state.isPresent()) {
            if (states.size() >= MAX_ENTRIES) {
                states.clear();
            }
            states.put(relativePath, new Entry(state.get(), readUnder));
        }
        return state;
    }

    @Override
    public List<RepositoryState> repositories() throws StoreException {
        return store.repositories();
    }

    @Override
    public boolean createRepository(String relativePath, String primary, Collection<String> replicas)
            throws StoreException {
        try {
            return store.createRepository(relativePath, primary, replicas);
        } finally {
            changed();
        }
    }

    @Override
    public OptionalLong createRepository(String relativePath, String primary, Collection<String> replicas, String owner)
            throws StoreException {
        try {
            return store.createRepository(relativePath, primary, replicas, owner);
        } finally {
            changed();
        }
    }

    @Override
    public RepositoryWrite beginWrite(String relativePath, String owner, Duration lockTimeout) throws StoreException {
        RepositoryWrite write;
        try {
            write = store.beginWrite(relativePath, owner, lockTimeout);
        } finally {
            // The open intent is part of the state (reads go to the primary while it is open).
            changed();
        }
        return new ChangingWrite(write);
    }

    @Override
    public List<WriteIntent> intentsOf(String owner) throws StoreException {
        return store.intentsOf(owner);
    }

    @Override
    public List<WriteIntent> staleIntents(Instant now, Duration olderThan) throws StoreException {
        return store.staleIntents(now, olderThan);
    }

    @Override
    public void enqueueReplication(String relativePath, String target, String source) throws StoreException {
        store.enqueueReplication(relativePath, target, source);
    }

    @Override
    public Optional<ReplicationJob> claimJob(String owner, Instant now, Duration lease) throws StoreException {
        return store.claimJob(owner, now, lease);
    }

    @Override
    public void completeJob(long id) throws StoreException {
        store.completeJob(id);
    }

    @Override
    public void retryJob(long id, String error, Instant notBefore) throws StoreException {
        store.retryJob(id, error, notBefore);
    }

    @Override
    public List<ReplicationJob> jobs() throws StoreException {
        return store.jobs();
    }

    @Override
    public void close() {
        states.clear();
        store.close();
    }

    private void changed() {
        version.incrementAndGet();
    }

    /** A write whose end (committed, abandoned, deleted or rolled back) moves the version. */
    private final class ChangingWrite implements RepositoryWrite {
        private final RepositoryWrite write;

        ChangingWrite(RepositoryWrite write) {
            this.write = write;
        }

        @Override
        public RepositoryState state() {
            return write.state();
        }

        @Override
        public long intentId() {
            return write.intentId();
        }

        @Override
        public void setGeneration(String storage, long generation) {
            write.setGeneration(storage, generation);
        }

        @Override
        public void setPrimary(String storage) {
            write.setPrimary(storage);
        }

        @Override
        public void resolveIntents(Collection<Long> intentIds) {
            write.resolveIntents(intentIds);
        }

        @Override
        public void commit() throws StoreException {
            try {
                write.commit();
            } finally {
                changed();
            }
        }

        @Override
        public void abandon() throws StoreException {
            try {
                write.abandon();
            } finally {
                changed();
            }
        }

        @Override
        public void delete() throws StoreException {
            try {
                write.delete();
            } finally {
                changed();
            }
        }

        @Override
        public void close() {
            try {
                write.close();
            } finally {
                changed();
            }
        }
    }
}
