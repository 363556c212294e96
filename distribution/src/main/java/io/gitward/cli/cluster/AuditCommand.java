package io.gitward.cli.cluster;

import io.gitward.pki.PkiException;
import io.gitward.pki.Ttl;
import io.gitward.proto.AuditRow;
import io.gitward.security.json.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward audit}: who calls each node how, and whether the next phase would break anyone. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Per node: callers by transport, credential,"
        + " scope and decision with their last call; then 'ready for phase N+1' or the callers it would break.")
public final class AuditCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "1h", description = "Only callers seen this"
            + " recently (default 1h).")
    String since;

    @Option(names = "--json", description = "One JSON document.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The report: rows per node, and the verdict for the next phase. */
    public record Report(int phase, String since, Map<String, List<Row>> nodes, Integer nextPhase, boolean ready,
            List<String> blockers) {
    }

    /** One audit row. */
    public record Row(String principal, String transport, String credential, String scope, String decision, long count,
            String lastSeen) {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ClusterLayout layout = new ClusterLayout(dir);
        try {
            Instant from = Instant.now().minus(window());
            ClusterManifest manifest = ClusterManifest.read(layout);
            Map<String, List<AuditRow>> audits = NodeAdmin.audits(layout, manifest);
            Integer next = manifest.phase() < 6 ? manifest.phase() + 1 : null;
            List<String> blockers = next == null ? List.of() : PhaseGate.blockers(next, audits, from).stream()
                    .map(PhaseGate.Blocker::describe).toList();
            Map<String, List<Row>> rows = new LinkedHashMap<>();
            audits.forEach((node, list) -> {
                List<Row> recent = new ArrayList<>();
                list.stream().filter(row -> !Instant.parse(row.getLastSeen()).isBefore(from)).forEach(row -> recent.add(
                        new Row(row.getPrincipal(), row.getTransport(), row.getCredential(), row.getScope(),
                                row.getDecision(), row.getCount(), row.getLastSeen())));
                rows.put(node, recent);
            });
            Report report = new Report(manifest.phase(), from.toString(), rows, next, blockers.isEmpty(), blockers);
            if (json) {
                out.println(Json.write(report));
            } else {
                print(report, out);
            }
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward audit: " + e.getMessage());
            return 2;
        }
    }

    private Duration window() throws ClusterException {
        try {
            return Ttl.parse("--since", since);
        } catch (PkiException e) {
            throw new ClusterException(e.getMessage());
        }
    }

    private static void print(Report report, PrintWriter out) {
        out.printf("phase %d; callers seen since %s%n", report.phase(), report.since());
        report.nodes().forEach((node, rows) -> {
            out.println(node + ":");
            out.printf("  %-52s %-9s %-9s %-13s %-10s %7s  %s%n", "PRINCIPAL", "TRANSPORT", "CREDENTIAL", "SCOPE",
                    "DECISION", "CALLS", "LAST SEEN");
            for (Row row : rows) {
                out.printf("  %-52s %-9s %-9s %-13s %-10s %7d  %s%n", row.principal(), row.transport(), row.credential(),
                        row.scope(), row.decision(), row.count(), row.lastSeen());
            }
        });
        if (report.nextPhase() == null) {
            out.println("phase 6 is the last phase");
        } else if (report.ready()) {
            out.println("ready for phase " + report.nextPhase());
        } else {
            out.println("NOT ready for phase " + report.nextPhase() + ": these callers would break:");
            report.blockers().forEach(blocker -> out.println("  " + blocker));
        }
    }
}
