package io.gitward.proxy.tx;

import io.gitward.proto.TransactionContext;
import io.gitward.transaction.Registration;
import java.time.Duration;
import java.util.Set;

/** The transaction service as the proxy's write path uses it, embedded in this process or standalone. */
public interface Coordinator {
    /** Registers a transaction; returns its id. */
    String register(Registration registration) throws CoordinatorException;

    /**
     * Ends the transaction once its write is over — voters still undecided are told STOP — and returns the voters
     * that reported COMMITTED (applied the update). One round trip: the outcome comes with the end. Voters answer
     * before their COMMITTED vote is taken, so the coordinator first waits up to {@code wait} for the votes of
     * {@code succeeded}, the voters whose calls ended OK.
     */
    Set<String> finish(String transactionId, Set<String> succeeded, Duration wait) throws CoordinatorException;

    /** Ends the transaction early (the primary failed): voters that have not voted yet are told STOP. Best effort. */
    void stop(String transactionId);

    /** The {@code gitward-transaction-bin} value for {@code voter}: where to vote and whom to trust. No secret. */
    TransactionContext context(String transactionId, String voter);

    /** The coordinator could not be used; the write is refused before any replica is touched. */
    final class CoordinatorException extends Exception {
        private static final long serialVersionUID = 1L;

        public CoordinatorException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
