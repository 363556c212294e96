package io.gitward.transaction;

import static java.util.Objects.requireNonNull;

/** A voter's outcome and why, e.g. ABORT "voted 3f2a…, the decision is 9c01…". */
public record VoterOutcome(Outcome outcome, String reason) {
    public VoterOutcome {
        requireNonNull(outcome, "outcome");
        requireNonNull(reason, "reason");
    }

    static VoterOutcome commit() {
        return new VoterOutcome(Outcome.COMMIT, "agrees with the decision");
    }

    static VoterOutcome abort(String reason) {
        return new VoterOutcome(Outcome.ABORT, reason);
    }
}
