package io.gitward.bench.cluster;

import io.gitward.security.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Writes {@code results.json}, {@code report.md} and the SVG charts ({@code latency-GROUP.svg},
 * {@code throughput-GROUP.svg}) of one {@code gitward bench} run. Targets are computed from the runs and reported as
 * met or not met with their figures; nothing is rounded in their favour.
 */
public final class ClusterReport {
    private static final List<String> SERVER_PROCESSES = List.of("proxy-1", "storage-1", "storage-2", "storage-3",
            "coordinator-1", "nginx");

    private final BenchResults results;
    private final List<LoadResult.Run> runs = new ArrayList<>();
    private final Map<String, String> titles = new LinkedHashMap<>();
    private final Map<LoadResult.Run, String> clusterOf = new LinkedHashMap<>();

    private ClusterReport(BenchResults results) {
        this.results = results;
        for (LoadResult cluster : results.clusters()) {
            for (LoadResult.Run run : cluster.runs()) {
                runs.add(run);
                clusterOf.put(run, cluster.cluster());
                if (!run.title().isEmpty()) {
                    titles.putIfAbsent(run.group(), run.title());
                }
            }
        }
    }

    public static void write(Path dir, BenchResults results) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.json"), Json.write(results) + "\n", StandardCharsets.UTF_8);
        ClusterReport report = new ClusterReport(results);
        for (String group : report.titles.keySet()) {
            Files.writeString(dir.resolve("latency-" + group + ".svg"), report.latencyChart(group), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("throughput-" + group + ".svg"), report.throughputChart(group),
                    StandardCharsets.UTF_8);
        }
        Files.writeString(dir.resolve("report.md"), report.markdown(), StandardCharsets.UTF_8);
    }

    // ---- charts ------------------------------------------------------------------------------------------

    private List<LoadResult.Run> of(String group, Predicate<LoadResult.Run> filter) {
        return runs.stream().filter(run -> run.group().equals(group) && filter.test(run)).toList();
    }

    String latencyChart(String group) {
        List<LoadResult.Run> open = of(group, run -> run.mode().equals("open"));
        boolean corrected = !open.isEmpty();
        List<LoadResult.Run> shown = corrected ? open : of(group, run -> true);
        List<SvgChart.Bars> bars = new ArrayList<>();
        for (LoadResult.Run run : shown) {
            bars.add(new SvgChart.Bars(run.variant() + " (x" + run.inFlight() + (corrected ? ", "
                    + SvgChart.format(run.offeredRate()) + "/s" : "") + ")", new double[] {run.p50(), run.p90(), run.p99(),
                        run.p999()}));
        }
        return SvgChart.logBars(group + ": latency, " + (corrected ? "open loop at one rate per in-flight count"
                + " (coordinated-omission corrected)" : "closed loop"), "ms", List.of("p50", "p90", "p99", "p99.9"), bars);
    }

    String throughputChart(String group) {
        List<LoadResult.Run> closed = of(group, run -> run.mode().equals("closed"));
        List<String> labels = new ArrayList<>();
        double[] values = new double[closed.size()];
        for (int i = 0; i < closed.size(); i++) {
            labels.add(closed.get(i).variant() + " x" + closed.get(i).inFlight());
            values[i] = closed.get(i).throughput();
        }
        return SvgChart.horizontalBars(group + ": maximum throughput (closed loop, N in flight)", "calls/s", labels, values);
    }

    // ---- report ------------------------------------------------------------------------------------------

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Gitward cluster benchmark\n\n");
        if (results.quick()) {
            md.append("> **Quick run** (`--quick`): short windows, few rates — a smoke test of the harness. Its figures"
                    + " are noisy and are not to be published.\n\n");
        }
        md.append(String.format(Locale.ROOT, "Date: %s. Command: `%s` (%d s). Every scenario and its baseline ran in this"
                + " one run.%n%n", results.date(), results.command(), results.seconds()));
        md.append("| machine | |\n|---|---|\n");
        results.machine().forEach((key, value) -> md.append("| ").append(key).append(" | ").append(value).append(" |\n"));
        md.append("| placement | ").append(results.pinning()).append(" |\n\n");
        md.append(method());
        md.append(targets());
        for (String group : titles.keySet()) {
            md.append(section(group));
        }
        return md.toString();
    }

    private String method() {
        return String.format(Locale.ROOT, """
                ## Method

                `./gitward bench` starts a local cluster with the code of `./gitward up` (a standalone coordinator, three
                storage nodes, one proxy; real processes on loopback, each with its own key and certificate) three times:
                phase 6 with BoringSSL, phase 6 with the JDK provider (`security.tls.provider = jdk`), phase 0 (plaintext +
                legacy token). Nodes run with the full JIT. nginx (`grpc_pass grpcs://` to an `upstream` with `keepalive`,
                client certificates verified, its own certificate to storage-1, one worker per CPU, no access log) runs
                beside the first. Load comes from a separate JVM (`io.gitward.bench.cluster.ClusterLoadGenerator`) on one
                HTTP/2 connection per variant (or a new connection per call in scenario 4); retries off; seed %d. The
                100,001-reference repository is created and committed to through the proxy; its 100,000 branches are
                then written into `packed-refs` of each replica (identical on all three) before any load.
                Scenario 1 runs the proxy twice: reads served by any up-to-date replica (its default) and by the
                repository's primary (`gitward-route: primary`), which is storage-1, the node nginx and the direct
                variant call. The targets use the second, so that all three paths do the same storage work; on this
                machine three storage JVMs share the cores, so spreading reads costs CPU that separate hosts would not.

                - **closed loop**: N lanes, each calling again as soon as its call returns — maximum throughput at N in flight;
                - **open loop**: the lanes start calls at one constant rate (%.0f %% of the slowest variant's closed-loop
                  throughput at that N, the same rate for every variant of a scenario); a call that outlasts its lane's interval
                  is recorded with HdrHistogram `recordValueWithExpectedInterval` (coordinated-omission correction);
                - before a scenario, each variant is driven %d ms in all (not recorded; at each in-flight count of the
                  scenario, twice round the variants)%s; each run: %d ms of warm-up (not
                  recorded), then %d ms measured, %s; CPU = utime + stime from `/proc/PID/stat`
                  at the window's start and end, for the load generator (`client`), the proxy, each storage node, the
                  coordinator and nginx (master + workers), shown as CPU seconds per 1,000 successful calls;
                - latencies in ms; "server CPU" sums every process except the client.

                """, results.clusters().isEmpty() ? 0 : results.clusters().get(0).seed(), results.openFraction() * 100,
                results.variantWarmupMillis(), warmupByCalls(), results.warmupMillis(), results.measureMillis(),
                slicing());
    }

    /** How the runs of a scenario's variants were interleaved (see {@link LoadPlan#slices}). */
    private String slicing() {
        if (LoadPlan.slices(results.quick(), 2, false) == 1) {
            return "in one window (a quick run)";
        }
        return "split into " + LoadPlan.SLICES + " slices taken in turn with the scenario's other variants on the same"
                + " cluster (A B C, B C A, C A B, …) and added up, so that a VM whose speed drifts over minutes shifts"
                + " them alike (scenarios 1, 1b, 2 and 5; the variants of scenarios 3 and 4 run on different clusters, one"
                + " cluster after the other, and scenario 6 runs in one window, since its leaves rotate every few seconds)";
    }

    /** What the load generator's warm-up by calls did in this run (quick runs skip it). */
    private String warmupByCalls() {
        if (results.quick()) {
            return " (a quick run: no warm-up by calls)";
        }
        return String.format(Locale.ROOT, ", then, in scenarios %s, further until each variant made %,d calls (at most"
                + " %d s: a voted write runs tens of times a second, and nodes still compiling its path spend about half"
                + " their CPU in the JIT; reads from any replica reach nodes the other variants leave cold)",
                String.join(", ", LoadPlan.WARMED_BY_CALLS), LoadPlan.WARMUP_CALLS, LoadPlan.WARMUP_CALLS_CAP.toSeconds());
    }

    private static final String PROXY_PRIMARY = "via proxy, primary";
    private static final String PROXY_ANY = "via proxy, any replica";

    private Optional<LoadResult.Run> find(String group, String variantPrefix, String mode, int inFlight) {
        return runs.stream().filter(run -> run.group().equals(group) && run.variant().startsWith(variantPrefix)
                && run.mode().equals(mode) && run.inFlight() == inFlight).findFirst();
    }

    private Optional<LoadResult.Run> findMaxInFlight(String group, String variantPrefix, String mode) {
        return runs.stream().filter(run -> run.group().equals(group) && run.variant().startsWith(variantPrefix)
                && run.mode().equals(mode)).max(java.util.Comparator.comparingInt(LoadResult.Run::inFlight));
    }

    static double serverCpuPer1000(LoadResult.Run run) {
        double sum = 0;
        for (String process : SERVER_PROCESSES) {
            Double value = run.cpuSecondsPer1000().get(process);
            if (value != null && value > 0) {
                sum += value;
            }
        }
        return sum;
    }

    private String targets() {
        StringBuilder md = new StringBuilder("## Targets\n\n| target | measured | met? |\n|---|---|---|\n");
        // The targets compare like with like: the proxy's reads from storage-1, the node nginx and direct call; its
        // default spread over every replica is shown beside (three JVMs share this machine's cores).
        Optional<LoadResult.Run> proxy1 = find("s1", PROXY_PRIMARY, "closed", 1);
        Optional<LoadResult.Run> spread1 = find("s1", PROXY_ANY, "closed", 1);
        Optional<LoadResult.Run> nginx1 = find("s1", "via nginx", "closed", 1);
        Optional<LoadResult.Run> direct1 = find("s1", "direct", "closed", 1);
        if (proxy1.isPresent() && nginx1.isPresent() && direct1.isPresent()) {
            double proxyAdds = proxy1.get().p50() - direct1.get().p50();
            double nginxAdds = nginx1.get().p50() - direct1.get().p50();
            md.append(row("proxy adds no more p50 than nginx (FindRef, 1 in flight, closed loop)", String.format(
                    Locale.ROOT, "proxy +%.3f ms, nginx +%.3f ms over direct %.3f ms%s", proxyAdds, nginxAdds,
                    direct1.get().p50(), spread1.map(run -> String.format(Locale.ROOT, "; any replica +%.3f ms",
                            run.p50() - direct1.get().p50())).orElse("")), proxyAdds <= nginxAdds));
        }
        Optional<LoadResult.Run> proxy16 = find("s1", PROXY_PRIMARY, "closed", 16);
        Optional<LoadResult.Run> spread16 = find("s1", PROXY_ANY, "closed", 16);
        Optional<LoadResult.Run> nginx16 = find("s1", "via nginx", "closed", 16);
        Optional<LoadResult.Run> direct16 = find("s1", "direct", "closed", 16);
        if (proxy16.isPresent() && nginx16.isPresent() && direct16.isPresent()) {
            double vsNginx = proxy16.get().throughput() / nginx16.get().throughput();
            double vsDirect = proxy16.get().throughput() / direct16.get().throughput();
            double cpuVsNginx = serverCpuPer1000(nginx16.get()) / serverCpuPer1000(proxy16.get());
            double cpuVsDirect = serverCpuPer1000(direct16.get()) / serverCpuPer1000(proxy16.get());
            String spread = spread16.map(run -> String.format(Locale.ROOT, "; any replica %.0f calls/s",
                    run.throughput())).orElse("");
            md.append(row("proxy throughput ≥ 2× nginx's (FindRef, 16 in flight)", String.format(Locale.ROOT,
                    "%.0f vs %.0f calls/s = %.2f× (per server CPU second: %.2f×)%s", proxy16.get().throughput(),
                    nginx16.get().throughput(), vsNginx, cpuVsNginx, spread), vsNginx >= 2));
            md.append(row("proxy throughput ≥ 0.6× direct (FindRef, 16 in flight)", String.format(Locale.ROOT,
                    "%.0f vs %.0f calls/s = %.2f× (per server CPU second: %.2f×)%s", proxy16.get().throughput(),
                    direct16.get().throughput(), vsDirect, cpuVsDirect, spread), vsDirect >= 0.6));
        }
        Optional<LoadResult.Run> boring = findMaxInFlight("s3", "phase 6 mTLS, BoringSSL", "closed");
        Optional<LoadResult.Run> plain = findMaxInFlight("s3", "phase 0", "closed");
        if (boring.isPresent() && plain.isPresent()) {
            double ratio = boring.get().throughput() / plain.get().throughput();
            md.append(row("BoringSSL mTLS ≥ 0.95× plaintext throughput, warm (FindRef via proxy, " + boring.get().inFlight()
                    + " in flight)", String.format(Locale.ROOT, "%.0f vs %.0f calls/s = %.2f× (per server CPU second:"
                    + " %.2f×)", boring.get().throughput(), plain.get().throughput(), ratio, serverCpuPer1000(plain.get())
                    / serverCpuPer1000(boring.get())), ratio >= 0.95));
        }
        Optional<LoadResult.Run> boringHs = findMaxInFlight("s4", "new connection, BoringSSL", "closed");
        Optional<LoadResult.Run> jdkHs = findMaxInFlight("s4", "new connection, JDK", "closed");
        if (boringHs.isPresent() && jdkHs.isPresent()) {
            double ratio = boringHs.get().throughput() / jdkHs.get().throughput();
            md.append(row("BoringSSL handshakes ≥ 5× JDK's (new connection per call, " + boringHs.get().inFlight()
                    + " in flight)", String.format(Locale.ROOT, "%.0f vs %.0f connections/s = %.2f×; storage-1 CPU per"
                    + " connection %.2f vs %.2f ms", boringHs.get().throughput(), jdkHs.get().throughput(), ratio,
                    boringHs.get().cpuSecondsPer1000().getOrDefault("storage-1", -1.0),
                    jdkHs.get().cpuSecondsPer1000().getOrDefault("storage-1", -1.0)), ratio >= 5));
        }
        Optional<LoadResult.Run> voted = find("s2", "via proxy", "closed", 1);
        Optional<LoadResult.Run> single = find("s2", "direct", "closed", 1);
        if (voted.isPresent() && single.isPresent()) {
            double ratio = voted.get().p50() / single.get().p50();
            md.append(row("3-replica write p50 ≤ 2.5× single-node write (UpdateReferences, 1 in flight)", String.format(
                    Locale.ROOT, "%.3f vs %.3f ms = %.2f×", voted.get().p50(), single.get().p50(), ratio), ratio <= 2.5));
        }
        long errors = runs.stream().mapToLong(LoadResult.Run::errors).sum();
        long failedRotations = results.rotations().entrySet().stream().filter(e -> e.getKey().endsWith("failures"))
                .mapToLong(Map.Entry::getValue).sum();
        md.append(row("zero errors in every scenario", errors + " failed calls in " + runs.size() + " runs; "
                + failedRotations + " failed rotations", errors == 0 && failedRotations == 0));
        return md.append('\n').toString();
    }

    private static String row(String target, String measured, boolean met) {
        return "| " + target + " | " + measured + " | " + (met ? "met" : "**not met**") + " |\n";
    }

    private String section(String group) {
        StringBuilder md = new StringBuilder("## " + group + ": " + titles.get(group) + "\n\n");
        md.append("| cluster | variant | mode | in flight | offered/s | calls/s | p50 | p90 | p99 | p99.9 | max | errors "
                + "| CPU s/1k: client | proxy | storage (all) | coordinator | nginx | server total |\n"
                + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (LoadResult.Run run : of(group, run -> true)) {
            Map<String, Double> cpu = run.cpuSecondsPer1000();
            double storage = 0;
            for (String name : List.of("storage-1", "storage-2", "storage-3")) {
                storage += Math.max(0, cpu.getOrDefault(name, 0.0));
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %.1f | %.3f | %.3f | %.3f | %.3f | %.3f | %d |"
                    + " %s | %s | %.3f | %s | %s | %.3f |%n", clusterOf.get(run), run.variant(), run.mode(), run.inFlight(),
                    run.offeredRate() > 0 ? String.format(Locale.ROOT, "%.0f", run.offeredRate()) : "—", run.throughput(),
                    run.p50(), run.p90(), run.p99(), run.p999(), run.max(), run.errors(), cpu(cpu, "client"),
                    cpu(cpu, "proxy-1"), storage, cpu(cpu, "coordinator-1"), cpu(cpu, "nginx"), serverCpuPer1000(run)));
        }
        List<String> notes = new ArrayList<>();
        for (LoadResult.Run run : of(group, run -> true)) {
            if (run.errors() > 0) {
                notes.add("- " + run.variant() + " " + run.mode() + " x" + run.inFlight() + ": " + run.errors()
                        + " errors, e.g. " + run.errorSamples());
            }
            if (run.mode().equals("open") && run.throughput() < 0.95 * run.offeredRate()) {
                notes.add(String.format(Locale.ROOT, "- %s x%d: achieved %.0f of %.0f calls/s offered — above this path's"
                        + " capacity in this run, so its latencies include queueing", run.variant(), run.inFlight(),
                        run.throughput(), run.offeredRate()));
            }
            if (run.mode().equals("open") && run.lateStarts() > 0) {
                notes.add(String.format(Locale.ROOT, "- %s x%d: %d calls started over 1 ms late (corrected in the"
                        + " histogram)", run.variant(), run.inFlight(), run.lateStarts()));
            }
        }
        results.rotations().forEach((key, count) -> {
            if (key.startsWith(group + " ")) {
                notes.add("- rotations of every leaf during " + key + " (warm-up included): " + count);
            }
        });
        if (!notes.isEmpty()) {
            md.append('\n').append(String.join("\n", notes)).append('\n');
        }
        md.append("\n![latency](latency-").append(group).append(".svg) ![throughput](throughput-").append(group)
                .append(".svg)\n\n");
        return md.toString();
    }

    private static String cpu(Map<String, Double> cpu, String process) {
        Double value = cpu.get(process);
        return value == null ? "—" : value < 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
    }
}
