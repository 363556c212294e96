package io.gitward.proxy.route;

import io.gitward.proxy.store.RepositoryState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Which replicas serve a call (transport-free). Reads go to a healthy, up-to-date replica — the primary when
 * asked or while a write to the repository is in flight; writes go to every healthy, up-to-date replica,
 * with the primary re-elected among them when the current one is down or behind.
 */
public final class Router {
    private Router() {
    }

    /** The replicas of one write: the primary first, then the other participants, and who is left out. */
    public record WritePlan(String primary, List<String> participants, Set<String> leftOut, boolean primaryChanged) {
    }

    public static String readReplica(RepositoryState state, Predicate<String> healthy, boolean primaryOnly)
            throws NoReplicaException {
        if (primaryOnly) {
            if (state.isUpToDate(state.primary()) && healthy.test(state.primary())) {
                return state.primary();
            }
            throw new NoReplicaException(state.relativePath() + ": its primary " + state.primary() + " is "
                    + (healthy.test(state.primary()) ? "not up to date" : "down") + " (reading from the primary was"
                    + " required)");
        }
        List<String> candidates = state.upToDate().stream().filter(healthy).toList();
        if (candidates.isEmpty()) {
            throw noReplica(state, healthy);
        }
        return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    }

    public static WritePlan writePlan(RepositoryState state, Predicate<String> healthy) throws NoReplicaException {
        List<String> ready = state.upToDate().stream().filter(healthy).toList();
        if (ready.isEmpty()) {
            throw noReplica(state, healthy);
        }
        String primary = ready.contains(state.primary()) ? state.primary() : ready.get(0);
        List<String> participants = new ArrayList<>();
        participants.add(primary);
        ready.stream().filter(name -> !name.equals(primary)).forEach(participants::add);
        Set<String> leftOut = new TreeSet<>(state.generations().keySet());
        leftOut.removeAll(participants);
        return new WritePlan(primary, List.copyOf(participants), leftOut, !primary.equals(state.primary()));
    }

    /**
     * The primary of a new repository among {@code nodes}: rendezvous hashing, so primaries spread evenly and
     * stably per path. The weight is a digest: {@code String.hashCode} of "path/storage-N" grows with N and would
     * make the last node the primary of nearly everything.
     */
    public static String creationPrimary(String relativePath, List<String> nodes) {
        return nodes.stream().max(Comparator.comparingLong(node -> weight(relativePath, node))).orElseThrow();
    }

    private static long weight(String relativePath, String node) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((relativePath + "\0" + node)
                    .getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    private static NoReplicaException noReplica(RepositoryState state, Predicate<String> healthy) {
        Set<String> up = new TreeSet<>();
        state.generations().keySet().stream().filter(healthy).forEach(up::add);
        return new NoReplicaException(state.relativePath() + ": no replica is both healthy and up to date (up to date: "
                + state.upToDate() + ", healthy: " + up + ")");
    }

    /** No replica can serve the call. */
    public static final class NoReplicaException extends Exception {
        private static final long serialVersionUID = 1L;

        public NoReplicaException(String message) {
            super(message);
        }
    }
}
