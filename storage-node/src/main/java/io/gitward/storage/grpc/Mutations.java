package io.gitward.storage.grpc;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.Repository;
import io.gitward.proto.TransactionContext;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.RefChange;
import io.gitward.storage.refs.RefTransaction;
import io.gitward.storage.refs.UpdateVoter;
import io.gitward.storage.repo.RepositoryStore;
import io.gitward.storage.tx.CoordinatorClient;
import io.gitward.storage.tx.TransactionHeader;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a mutator the same way for every RPC: under the repository's lock, with the voter of the call's
 * transaction (or none), on an open repository that is closed afterwards.
 */
final class Mutations {
    /** The mutator's body. */
    @FunctionalInterface
    interface Body<T> {
        T apply(org.eclipse.jgit.lib.Repository repository, UpdateVoter voter, boolean transactional)
                throws StorageException;
    }

    private final RepositoryStore store;
    private final CoordinatorClient coordinator;

    Mutations(RepositoryStore store, CoordinatorClient coordinator) {
        this.store = requireNonNull(store, "store");
        this.coordinator = requireNonNull(coordinator, "coordinator");
    }

    <T> T run(Repository repository, Body<T> body) throws StorageException {
        UpdateVoter voter = currentVoter();
        ReentrantLock lock = store.lockFor(repository);
        lock.lock();
        try (org.eclipse.jgit.lib.Repository opened = store.open(repository)) {
            return body.apply(opened, voter, TransactionHeader.current() != null);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies reference changes to an already open repository (objects already written, e.g. by a push):
     * takes the lock only for prepare → vote → commit, so a slow upload does not hold up other writers.
     */
    void applyReferences(Repository repository, org.eclipse.jgit.lib.Repository opened, List<RefChange> changes,
            UpdateVoter voter, RefTransaction.BeforeUpdate beforeUpdate) throws StorageException {
        ReentrantLock lock = store.lockFor(repository);
        lock.lock();
        try {
            RefTransaction.apply(opened, changes, voter, beforeUpdate);
        } finally {
            lock.unlock();
        }
    }

    /** The voter of the current call's transaction; checks the header's contents before any work is done. */
    UpdateVoter currentVoter() throws StorageException {
        TransactionContext transaction = TransactionHeader.current();
        return transaction == null ? UpdateVoter.NONE : coordinator.voterFor(transaction);
    }

    RepositoryStore store() {
        return store;
    }
}
