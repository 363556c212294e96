package io.gitward.cli;

import io.gitward.bench.PkiBenchmarkRunner;
import io.gitward.bench.ProxyBenchmarkRunner;
import io.gitward.bench.StorageBenchmarkRunner;
import io.gitward.bench.TlsBenchmarkRunner;
import io.gitward.bench.TransactionBenchmarkRunner;
import io.gitward.cli.cluster.ClusterBenchmark;
import io.gitward.cli.cluster.ClusterException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gitward bench [AREA]}: benchmarks that run from the distribution, results as a Markdown report. Without an
 * area (or with {@code cluster}): the whole cluster side by side — report.md, results.json and SVG charts.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark: the whole cluster (no AREA, or"
        + " cluster), or one area: pki, tls, tx, storage or proxy.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "AREA", defaultValue = "cluster",
            description = "cluster (default: local cluster processes, proxy vs direct vs nginx, writes, TLS providers,"
                    + " handshakes, 100k refs, rotation), pki (certificate issuance), tls (handshakes, calls), tx (votes),"
                    + " storage (repository RPCs) or proxy (proxied vs direct, in one JVM)")
    String area;

    @Option(names = "--pin", description = "cluster: pin the load generator to CPU 0 and every server process to CPU 1"
            + " (taskset).")
    boolean pin;

    @Option(names = "--only", split = ",", paramLabel = "SCENARIO",
            description = "cluster: run only these scenarios (s1, s1b, s2, s3, s4, s5, s6; comma-separated).")
    java.util.Set<String> only = new java.util.TreeSet<>();

    @Option(names = "--keep", description = "cluster: leave the last cluster (OUT/cluster, stopped) and the plans and"
            + " nginx files (OUT/work) in place.")
    boolean keep;

    @Option(names = "--quick", description = "Short runs (a smoke test of the benchmark, not figures to publish).")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/bench", description = "Where to write report.md.")
    Path out;

    @Override
    public Integer call() throws Exception {
        return switch (area) {
            case "cluster" -> cluster();
            case "pki" -> new PkiBenchmarkRunner(quick, out).run();
            case "tls" -> new TlsBenchmarkRunner(quick, out).run();
            case "tx" -> new TransactionBenchmarkRunner(quick, out).run();
            case "storage" -> new StorageBenchmarkRunner(quick, out).run();
            case "proxy" -> new ProxyBenchmarkRunner(quick, out).run();
            default -> {
                System.err.println("gitward bench: unknown area '" + area + "' (expected: cluster, pki, tls, tx, storage or"
                        + " proxy)");
                yield 2;
            }
        };
    }

    private int cluster() throws Exception {
        java.io.PrintWriter log = new java.io.PrintWriter(System.out, true);
        try {
            return new ClusterBenchmark(quick, out, pin, keep, only, log).run();
        } catch (ClusterException e) {
            System.err.println("gitward bench: " + e.getMessage());
            return 1;
        }
    }
}
