package io.gitward.bench.cluster;

import java.util.List;
import java.util.Map;

/** Every measured run of one load-generator process. */
public record LoadResult(String cluster, String javaVersion, long seed, List<Run> runs) {

    /**
     * One measured run: a variant of a group in one mode ({@code closed} or {@code open}) with {@code inFlight}
     * calls in flight. Latencies are milliseconds; open-loop ones are corrected for coordinated omission.
     * {@code cpuSecondsPer1000} is each process's user + system CPU time during the measured window per 1,000
     * successful calls; {@code lateStarts} counts open-loop calls that started after their scheduled time.
     */
    public record Run(String group, String title, String operation, String variant, String mode, int inFlight,
            double offeredRate, long calls, long errors, List<String> errorSamples, double seconds, double throughput,
            double p50, double p90, double p99, double p999, double max, long lateStarts,
            Map<String, Double> cpuSecondsPer1000, Map<String, Double> cpuSeconds) {
    }
}
