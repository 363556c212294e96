package io.gitward.bench.cluster;

import java.util.List;
import java.util.Map;

/**
 * What one load-generator process does against one running cluster: optional set-up (repositories created through
 * the proxy), then each group's variants, closed loop first (maximum throughput with N in flight), then open loop
 * at one constant rate shared by every variant of the group. Written by {@code gitward bench} as JSON.
 *
 * @param processes    names and pids of the processes whose CPU time is counted per run ("client" is added)
 * @param variantWarmupMillis before a group's first run, each variant is driven this long in all (closed loop, not
 *                     recorded; split over the group's in-flight counts, twice round the variants) so every process
 *                     on its path is compiled
 * @param clockTicks   the kernel's clock ticks per second ({@code getconf CLK_TCK}), for /proc/PID/stat
 */
public record LoadPlan(String cluster, boolean quick, long seed, long variantWarmupMillis, long warmupMillis,
        long measureMillis, long clockTicks, Map<String, Long> processes, Setup setup, List<Group> groups) {

    /**
     * How a variant reaches the cluster, as whom, and which repository it works on; {@code readFromPrimary} asks the
     * proxy to serve reads from the repository's primary ({@code gitward-route: primary}) instead of any replica.
     */
    public record Target(String label, String address, String transport, String roots, String crl, String chain,
            String key, String server, String tokenFile, boolean newConnectionPerCall, String repository,
            boolean rotating, boolean readFromPrimary) {
        public boolean plaintext() {
            return "plaintext".equals(transport);
        }
    }

    /**
     * One scenario (or one cluster configuration's share of it): the operation, the in-flight counts, and how
     * the open loop's rate is chosen — {@code openRate} when given, else {@code openFraction} of the slowest
     * variant's closed-loop throughput at that in-flight count. {@code warmupCalls} (0: none) makes each variant's
     * warm-up last until it made that many calls (bounded in time; not in quick runs).
     */
    public record Group(String id, String title, String operation, List<Integer> inFlight, boolean closed,
            List<Integer> openInFlight, double openFraction, Map<String, Double> openRate, List<Target> variants,
            int warmupCalls) {
    }

    /**
     * Repositories created through {@code via} before any group runs. The many-refs repository is created and
     * given its first commit through the proxy too; its {@code manyRefs} branches are then written into
     * {@code packed-refs} of each replica's directory ({@code manyRefsDirs}), identically on every replica.
     */
    public record Setup(Target via, String virtualStorage, List<String> repositories, String manyRefsRepository,
            int manyRefs, List<String> manyRefsDirs) {
    }

    /**
     * Calls each variant of the scenarios in {@link #WARMED_BY_CALLS} makes before it is measured, within
     * {@link #WARMUP_CALLS_CAP}: a variant reaching nodes the others do not (reads from any replica, a cluster started
     * for one scenario) or a slow one (a voted write) is otherwise measured while its nodes still compile its path.
     */
    public static final int WARMUP_CALLS = 10_000;
    public static final java.time.Duration WARMUP_CALLS_CAP = java.time.Duration.ofSeconds(120);
    /** Scenarios warmed up by calls; the others (handshakes, ListRefs, rotation) by time alone. */
    public static final java.util.SortedSet<String> WARMED_BY_CALLS = java.util.Collections.unmodifiableSortedSet(
            new java.util.TreeSet<>(java.util.Set.of("s1", "s1b", "s2", "s3")));

    /** Slices in which the variants of a scenario are measured in turn (see {@link #slices}). */
    public static final int SLICES = 5;

    /** The repository every target addresses (the virtual storage name; storage nodes serve it too). */
    public static final String VIRTUAL_STORAGE = "default";

    /**
     * Slices in which the variants of a scenario that share a cluster are measured in turn (see the load generator):
     * one in quick runs, for a lone variant (nothing to take turns with), and where a variant rotates certificates,
     * whose rotations every few seconds need an unbroken window.
     */
    public static int slices(boolean quick, int variants, boolean rotating) {
        return quick || variants < 2 || rotating ? 1 : SLICES;
    }
}
