package io.gitward.storage.refs;

import io.gitward.storage.StorageException;

/**
 * The transaction side of a reference update: asked to vote PREPARED with the hash of the prepared update
 * (returns only when told to COMMIT; throws ABORTED or UNAVAILABLE otherwise) and COMMITTED once applied.
 */
public interface UpdateVoter {
    /** No transaction: the update applies locally. */
    UpdateVoter NONE = new UpdateVoter() {
        @Override
        public void prepared(byte[] hash) {
        }

        @Override
        public void committed(byte[] hash) {
        }
    };

    void prepared(byte[] hash) throws StorageException;

    void committed(byte[] hash) throws StorageException;
}
