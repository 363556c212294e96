package io.gitward.transaction;

/** Receives a transaction's events in order; {@link #onFinished} is the last call. */
public interface TransactionEventListener {
    /** A voter's outcome was decided, or a voter told to commit reported that it committed. */
    void onEvent(TransactionEvent event);

    /** Every voter is settled (and every committing voter committed), or the transaction was stopped or cancelled. */
    void onFinished(String state);
}
