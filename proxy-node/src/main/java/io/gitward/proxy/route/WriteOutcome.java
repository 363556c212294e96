package io.gitward.proxy.route;

import io.gitward.proxy.store.RepositoryState;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a finished write means for the replicas' generations (transport-free). Replicas that applied the update
 * (voted COMMITTED) move to the next generation; everyone else stays behind and is repaired. A write that
 * changed no reference (no vote at all) changes no generation, except that a participant whose call ended
 * differently from the primary's is marked for a rebuild (-1): its state is unknown.
 */
public final class WriteOutcome {
    private WriteOutcome() {
    }

    /** Generations to set, the primary afterwards, and the replicas that are behind afterwards. */
    public record Changes(Map<String, Long> generations, String primary, Set<String> behind) {
    }

    /**
     * @param succeeded participant to "its call ended OK"
     * @param rebuild   replicas to mark for a rebuild regardless (e.g. left out of a repository's creation)
     */
    public static Changes compute(RepositoryState before, Router.WritePlan plan, Set<String> committed,
            Map<String, Boolean> succeeded, Set<String> rebuild) {
        Map<String, Long> generations = new HashMap<>(before.generations());
        Map<String, Long> changes = new HashMap<>();
        long current = before.maxGeneration();
        String primary = plan.primary();
        if (!committed.isEmpty()) {
            for (String replica : committed) {
                changes.put(replica, current + 1);
            }
            if (!committed.contains(primary)) {
                primary = new TreeSet<>(committed).first();
            }
        } else {
            boolean primaryOk = Boolean.TRUE.equals(succeeded.get(plan.primary()));
            for (String participant : plan.participants()) {
                if (Boolean.TRUE.equals(succeeded.get(participant)) != primaryOk) {
                    changes.put(participant, -1L);
                }
            }
        }
        for (String replica : rebuild) {
            changes.put(replica, -1L);
        }
        generations.putAll(changes);
        long max = generations.values().stream().mapToLong(Long::longValue).max().orElse(-1);
        Set<String> behind = new TreeSet<>();
        generations.forEach((replica, generation) -> {
            if (generation < max) {
                behind.add(replica);
            }
        });
        if (!generations.containsKey(primary) || generations.get(primary) < max) {
            // The primary must always be up to date: the first up-to-date replica takes over.
            primary = generations.entrySet().stream().filter(entry -> entry.getValue() == max).map(Map.Entry::getKey)
                    .sorted().findFirst().orElse(primary);
        }
        return new Changes(changes, primary, behind);
    }
}
