package io.gitward.transaction;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the proxy registers: voters with their weights (in order), the primary, the strategy and how long
 * voters may take to vote.
 */
public record Registration(Map<String, Integer> voters, String primary, Strategy strategy, Duration timeout,
        String repository) {
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    public Registration {
        voters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(voters));
    }

    /** Refuses what cannot be a transaction, naming the field. */
    void validate() throws TransactionException {
        if (voters.isEmpty()) {
            throw invalid("voters: empty (expected at least one storage node)");
        }
        for (Map.Entry<String, Integer> voter : voters.entrySet()) {
            if (!voter.getKey().matches("[a-z0-9-]{1,63}")) {
                throw invalid("voters: '" + voter.getKey() + "' is not a node name (expected 1 to 63 of [a-z0-9-])");
            }
            if (voter.getValue() == null || voter.getValue() < 1 || voter.getValue() > 1000) {
                throw invalid("voters: weight of " + voter.getKey() + " is " + voter.getValue() + " (expected: 1..1000)");
            }
        }
        if (primary == null || !voters.containsKey(primary)) {
            throw invalid("primary: '" + primary + "' is not one of the voters " + voters.keySet());
        }
        if (strategy == null) {
            throw invalid("strategy: missing (expected primary-wins, majority or unanimous)");
        }
        if (timeout == null || timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw invalid("timeout: " + timeout + " (expected: 1 ms to 10 min)");
        }
    }

    private static TransactionException invalid(String message) {
        return new TransactionException(TransactionException.Kind.INVALID_ARGUMENT, message);
    }
}
