package io.gitward.transaction;

import java.util.Map;

/**
 * How votes become a decision. Pure functions of a {@link Tally}: {@link Verdict#pending()} until the
 * decision is known, then either the winning hash (voters who voted it commit, others abort) or an abort of
 * everyone with the reason.
 */
public enum Strategy {
    /** The primary's vote decides; secondaries that disagree are aborted (outdated). */
    PRIMARY_WINS {
        @Override
        Verdict evaluate(Tally tally) {
            VoteHash primary = tally.votes().get(tally.primary());
            if (primary != null) {
                return Verdict.decided(primary);
            }
            return tally.expired() ? Verdict.abortAll("primary " + tally.primary() + " did not vote in time")
                    : Verdict.pending();
        }
    },
    /** Voters holding more than half the total weight, the primary among them, must agree. */
    MAJORITY {
        @Override
        Verdict evaluate(Tally tally) {
            int total = tally.totalWeight();
            VoteHash primary = tally.votes().get(tally.primary());
            if (primary == null) {
                return tally.expired() ? Verdict.abortAll("primary " + tally.primary() + " did not vote in time")
                        : Verdict.pending();
            }
            int agreeing = tally.weightFor(primary);
            if (agreeing * 2 > total) {
                return Verdict.decided(primary);
            }
            if ((agreeing + tally.weightNotYetVoted()) * 2 <= total) {
                return Verdict.abortAll("no majority agrees with the primary (weight " + agreeing + " of " + total + ")");
            }
            return tally.expired() ? Verdict.abortAll("no majority within the timeout (weight " + agreeing + " of "
                    + total + " agree with the primary)") : Verdict.pending();
        }
    },
    /** Every voter must vote the same hash. */
    UNANIMOUS {
        @Override
        Verdict evaluate(Tally tally) {
            VoteHash first = null;
            for (Map.Entry<String, VoteHash> vote : tally.votes().entrySet()) {
                if (first == null) {
                    first = vote.getValue();
                } else if (!first.equals(vote.getValue())) {
                    return Verdict.abortAll("voters disagree (" + vote.getKey() + " voted " + vote.getValue() + ")");
                }
            }
            if (first != null && tally.votes().size() == tally.weights().size()) {
                return Verdict.decided(first);
            }
            if (tally.expired()) {
                for (String voter : tally.weights().keySet()) {
                    if (!tally.votes().containsKey(voter)) {
                        return Verdict.abortAll("voter " + voter + " did not vote in time");
                    }
                }
            }
            return Verdict.pending();
        }
    };

    abstract Verdict evaluate(Tally tally);

    /** The result of evaluating a tally. */
    record Verdict(boolean decided, VoteHash winner, String abortReason) {
        static Verdict pending() {
            return new Verdict(false, null, null);
        }

        static Verdict decided(VoteHash winner) {
            return new Verdict(true, winner, null);
        }

        static Verdict abortAll(String reason) {
            return new Verdict(true, null, reason);
        }

        /** The outcome of a voter that voted {@code hash} (null: not voted). */
        VoterOutcome outcomeFor(VoteHash hash) {
            if (winner == null) {
                return VoterOutcome.abort(abortReason);
            }
            return winner.equals(hash) ? VoterOutcome.commit()
                    : VoterOutcome.abort("voted " + hash + ", the decision is " + winner);
        }
    }
}
