package io.gitward.bench.cluster;

import java.util.List;
import java.util.Map;

/**
 * Everything one {@code gitward bench} run measured: when, with which command, on which machine and how processes
 * were placed, the method's parameters, the certificate rotations done during the rotation scenario (by run), and
 * each cluster configuration's runs. Written as results.json; report.md and the charts are made from it.
 */
public record BenchResults(String date, String command, boolean quick, Map<String, String> machine, String pinning,
        long seconds, long variantWarmupMillis, long warmupMillis, long measureMillis, double openFraction,
        long rotationIntervalMillis, Map<String, Integer> rotations, List<LoadResult> clusters) {
}
