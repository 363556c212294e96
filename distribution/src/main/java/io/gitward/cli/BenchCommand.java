package io.gitward.cli;

import io.gitward.bench.PkiBenchmarkRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gitward bench AREA}: benchmarks that run from the distribution, results as a Markdown report. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark: pki.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "AREA", description = "pki")
    String area;

    @Option(names = "--quick", description = "Short runs (a smoke test of the benchmark, not figures to publish).")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/bench", description = "Where to write report.md.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!"pki".equals(area)) {
            System.err.println("gitward bench: unknown area '" + area + "' (expected: pki)");
            return 2;
        }
        return new PkiBenchmarkRunner(quick, out).run();
    }
}
