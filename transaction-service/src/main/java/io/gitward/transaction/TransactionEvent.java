package io.gitward.transaction;

/**
 * One step of a transaction, as its owner watches it.
 *
 * @param committed false: {@code outcome} was decided for {@code voter}; true: the voter committed
 */
public record TransactionEvent(String transactionId, String voter, VoterOutcome outcome, boolean committed) {
}
