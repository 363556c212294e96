package io.gitward.transaction;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The votes of one transaction at one moment: who votes with what weight, the primary, the PREPARED hashes
 * cast so far, and whether the deadline has passed. Immutable snapshot for {@link Strategy#evaluate}.
 */
record Tally(Map<String, Integer> weights, String primary, Map<String, VoteHash> votes, boolean expired) {
    Tally {
        weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        votes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(votes));
    }

    int totalWeight() {
        return weights.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Weight of the voters who voted {@code hash}. */
    int weightFor(VoteHash hash) {
        int weight = 0;
        for (Map.Entry<String, VoteHash> vote : votes.entrySet()) {
            if (vote.getValue().equals(hash)) {
                weight += weights.get(vote.getKey());
            }
        }
        return weight;
    }

    int weightNotYetVoted() {
        int weight = 0;
        for (Map.Entry<String, Integer> voter : weights.entrySet()) {
            if (!votes.containsKey(voter.getKey())) {
                weight += voter.getValue();
            }
        }
        return weight;
    }
}
