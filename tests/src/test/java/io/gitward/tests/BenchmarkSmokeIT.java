package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ./gitward bench AREA --quick} from the distribution: the benchmark runs to the end and writes a report
 * whose table has a row per measured case with a positive rate. Figures are not judged here.
 */
class BenchmarkSmokeIT {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "gitward bench {0} --quick writes a report")
    @ValueSource(strings = {"storage", "proxy", "tx"})
    void benchmarkRunsAndReports(String area) throws Exception {
        Path out = dir.resolve(area);
        GitwardProcess.Result result = GitwardProcess.run(dir.resolve(area + ".log"), Map.of(), Duration.ofMinutes(5),
                "bench", area, "--quick", "--out", out.toString());
        assertEquals(0, result.exitCode(), result.output());
        String report = Files.readString(out.resolve("report.md"));
        List<String> rows = report.lines().filter(line -> line.startsWith("| ") && !line.startsWith("| operation")
                && !line.startsWith("| transactions/s")).toList();
        boolean perOperation = !area.equals("tx"); // | operation | repository or path | ops/s | ...
        assertTrue(rows.size() >= (perOperation ? 6 : 1), report);
        for (String row : rows) {
            String[] cells = row.split("\\|");
            String rate = perOperation ? cells[3].trim() : cells[1].trim();
            assertTrue(Double.parseDouble(rate) > 0, "a positive rate in: " + row);
        }
    }

    /**
     * {@code ./gitward bench --quick --only s1}: a whole local cluster (real node processes, nginx beside it) and the
     * load generator in its own JVM; the accessor scenario alone, so it stays short. Report, results and charts are
     * written; every run has calls and no errors.
     */
    @Test
    void clusterBenchmarkWritesReportResultsAndCharts() throws Exception {
        Path out = dir.resolve("cluster");
        GitwardProcess.Result result = GitwardProcess.run(dir.resolve("cluster.log"), Map.of(), Duration.ofMinutes(5),
                "bench", "--quick", "--only", "s1", "--out", out.toString());
        assertEquals(0, result.exitCode(), result.output());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("## s1: ") && report.contains("## Targets"), report);
        JsonNode results = Json.mapper().readTree(Files.readString(out.resolve("results.json")));
        JsonNode runs = results.path("clusters").path(0).path("runs");
        // via proxy (any replica, primary), via nginx, direct; closed and open; 1 and 16 in flight
        assertEquals(16, runs.size(), results.toPrettyString());
        for (JsonNode run : runs) {
            assertEquals(0, run.path("errors").asLong(), run.toPrettyString());
            assertTrue(run.path("throughput").asDouble() > 0 && run.path("p50").asDouble() > 0, run.toPrettyString());
        }
        for (String chart : List.of("latency-s1.svg", "throughput-s1.svg")) {
            assertTrue(Files.readString(out.resolve(chart)).startsWith("<svg"), chart);
        }
        assertTrue(!Files.exists(out.resolve("cluster")), "the benchmark's cluster is stopped and removed");
    }
}
