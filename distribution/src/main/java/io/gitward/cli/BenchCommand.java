package io.gitward.cli;

import io.gitward.bench.PkiBenchmarkRunner;
import io.gitward.bench.ProxyBenchmarkRunner;
import io.gitward.bench.StorageBenchmarkRunner;
import io.gitward.bench.TlsBenchmarkRunner;
import io.gitward.bench.TransactionBenchmarkRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gitward bench AREA}: benchmarks that run from the distribution, results as a Markdown report. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark: pki, tls, tx, storage or proxy.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "AREA",
            description = "pki (certificate issuance), tls (handshakes, calls), tx (votes), storage (repository RPCs)"
                    + " or proxy (proxied vs direct)")
    String area;

    @Option(names = "--quick", description = "Short runs (a smoke test of the benchmark, not figures to publish).")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/bench", description = "Where to write report.md.")
    Path out;

    @Override
    public Integer call() throws Exception {
        return switch (area) {
            case "pki" -> new PkiBenchmarkRunner(quick, out).run();
            case "tls" -> new TlsBenchmarkRunner(quick, out).run();
            case "tx" -> new TransactionBenchmarkRunner(quick, out).run();
            case "storage" -> new StorageBenchmarkRunner(quick, out).run();
            case "proxy" -> new ProxyBenchmarkRunner(quick, out).run();
            default -> {
                System.err.println("gitward bench: unknown area '" + area + "' (expected: pki, tls, tx, storage or proxy)");
                yield 2;
            }
        };
    }
}
