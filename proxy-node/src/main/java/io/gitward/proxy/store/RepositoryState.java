package io.gitward.proxy.store;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One repository as the store records it: its primary and the generation of each replica (storage name to
 * generation). A replica is up to date when its generation equals the highest; -1 means "must be rebuilt".
 * {@code writing}: some proxy holds an open write intent (a write in flight, or one a crash left unfinished),
 * so replicas may momentarily differ and reads should go to the primary.
 */
public record RepositoryState(String relativePath, String primary, Map<String, Long> generations, boolean writing) {
    public RepositoryState {
        requireNonNull(relativePath, "relativePath");
        requireNonNull(primary, "primary");
        generations = Collections.unmodifiableMap(new TreeMap<>(generations));
    }

    /** A state with no write in flight. */
    public RepositoryState(String relativePath, String primary, Map<String, Long> generations) {
        this(relativePath, primary, generations, false);
    }

    public long maxGeneration() {
        long max = -1;
        for (long generation : generations.values()) {
            max = Math.max(max, generation);
        }
        return max;
    }

    /** Replicas at the highest generation, sorted by name. */
    public Set<String> upToDate() {
        long max = maxGeneration();
        Set<String> result = new TreeSet<>();
        generations.forEach((storage, generation) -> {
            if (generation == max) {
                result.add(storage);
            }
        });
        return result;
    }

    public boolean isUpToDate(String storage) {
        Long generation = generations.get(storage);
        return generation != null && generation == maxGeneration();
    }
}
