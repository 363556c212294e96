package io.gitward.cli.cluster;

import io.gitward.pki.CaLayout;
import io.gitward.proto.AuditRow;
import io.gitward.security.identity.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward check}: diagnostics of the local cluster, one line per check, like {@code linkerd check}. */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Check expiry of CAs, leaves and CRLs, that"
        + " every node runs the cluster's phase and trusts the same bundle, the renewer, replica health, and whether"
        + " the audit shows callers the next phase would break. Exit 0 when nothing failed (warnings allowed).")
public final class CheckCommand implements Callable<Integer> {
    /** A CA this close to expiry is a warning: its successor needs a rollover. */
    private static final Duration CA_WARNING = Duration.ofDays(90);

    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private PrintWriter out;
    private int failed;
    private int warned;

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        ClusterLayout layout = new ClusterLayout(dir);
        try {
            ClusterManifest manifest = ClusterManifest.read(layout);
            Instant now = Instant.now();
            certificates(layout, manifest, now);
            ClusterStatus status = ClusterStatus.gather(layout);
            nodes(status, manifest);
            audit(layout, manifest, status);
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward check: " + e.getMessage());
            return 2;
        }
        out.printf("%s: %d failed, %d warning(s)%n", failed == 0 ? "OK" : "FAILED", failed, warned);
        return failed == 0 ? 0 : 1;
    }

    private void certificates(ClusterLayout layout, ClusterManifest manifest, Instant now) throws ClusterException {
        LocalPki pki = LocalPki.openOrCreate(layout, manifest.trustDomain(), Duration.ofSeconds(manifest.leafTtlSeconds()),
                Duration.ofSeconds(manifest.crlValiditySeconds()));
        for (Path ca : pki.present()) {
            Instant expiry = Renewals.notAfter(new CaLayout(ca).rootCertificate());
            report(expiry != null && expiry.isAfter(now), expiry != null && expiry.isBefore(now.plus(CA_WARNING)),
                    "CA " + ca.getFileName() + " expires " + expiry);
            Instant next = Renewals.crlNextUpdate(new CaLayout(ca).crl());
            report(next != null && next.isAfter(now), false, "CRL of " + ca.getFileName() + " valid until " + next);
        }
        Duration ttl = Duration.ofSeconds(manifest.leafTtlSeconds());
        for (Map.Entry<Path, Role> identity : new LocalCluster(layout, out).identities(manifest).entrySet()) {
            Path chain = ClusterLayout.chain(identity.getKey());
            Instant expiry = Renewals.notAfter(chain);
            boolean overdue = Renewals.leafDueAt(chain, ttl).map(due -> due.plus(ttl.dividedBy(4)).isBefore(now))
                    .orElse(true);
            report(expiry != null && expiry.isAfter(now), overdue, "certificate of " + identity.getKey().getFileName()
                    + " expires " + expiry + (overdue ? " (renewal overdue: is the renewer running?)" : ""));
        }
    }

    private void nodes(ClusterStatus status, ClusterManifest manifest) {
        for (ClusterStatus.Node node : status.nodes()) {
            report(node.error() == null && node.ready(), false, node.name() + " runs and answers"
                    + (node.error() == null ? "" : ": " + node.error()));
            if (node.error() == null) {
                report(node.phase() != null && node.phase() == manifest.phase(), false, node.name() + " runs phase "
                        + node.phase() + " (the cluster's: " + manifest.phase() + ")");
                Set<String> overrides = node.flagSources().entrySet().stream()
                        .filter(source -> !source.getValue().endsWith("preset")).map(Map.Entry::getKey)
                        .collect(Collectors.toSet());
                report(true, !overrides.isEmpty(), node.name() + " flags" + (overrides.isEmpty() ? " all from the preset"
                        : " overridden: " + overrides));
            }
        }
        Set<List<String>> bundles = status.nodes().stream().filter(node -> node.error() == null)
                .map(ClusterStatus.Node::rootFingerprints).collect(Collectors.toSet());
        report(bundles.size() <= 1, false, "every node trusts the same roots" + (bundles.size() <= 1 ? "" : ": " + bundles));
        report(status.supervisor().running(), false, "the renewer runs");
        for (ClusterStatus.Storage storage : status.storages()) {
            report(storage.healthy(), false, "the proxy sees " + storage.name() + " healthy");
        }
    }

    private void audit(ClusterLayout layout, ClusterManifest manifest, ClusterStatus status) {
        if (manifest.phase() == 6) {
            report(true, false, "phase 6 is the last phase");
            return;
        }
        Map<String, List<AuditRow>> audits;
        try {
            audits = NodeAdmin.audits(layout, manifest);
        } catch (ClusterException e) {
            report(false, false, "audits readable: " + e.getMessage());
            return;
        }
        List<PhaseGate.Blocker> blockers = PhaseGate.blockers(manifest.phase() + 1, audits,
                Instant.parse(manifest.phaseSince()));
        report(true, !blockers.isEmpty(), "phase " + (manifest.phase() + 1) + (blockers.isEmpty() ? " breaks no caller seen"
                + " since " + manifest.phaseSince() : " would break " + blockers.size() + " caller(s) (./gitward audit)"));
    }

    private void report(boolean ok, boolean warning, String what) {
        String mark = !ok ? "[FAIL]" : warning ? "[warn]" : "[ok]  ";
        if (!ok) {
            failed++;
        } else if (warning) {
            warned++;
        }
        out.println(mark + " " + what);
    }
}
