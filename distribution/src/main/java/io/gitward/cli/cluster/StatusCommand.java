package io.gitward.cli.cluster;

import io.gitward.security.json.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward status}: the local cluster as its files and its nodes' admin APIs describe it. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Processes, addresses, effective phase flags"
        + " and their sources, replica health, loaded bundle fingerprints, certificate and CRL expiry. Exit 0 when every"
        + " node runs and answers, 1 otherwise.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @Option(names = "--json", description = "One JSON document (schema gitward.status/v1 fields as in the text).")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ClusterStatus status;
        try {
            status = ClusterStatus.gather(new ClusterLayout(dir));
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward status: " + e.getMessage());
            return 2;
        }
        if (json) {
            out.println(Json.write(status));
        } else {
            print(status, out);
        }
        return status.healthy() ? 0 : 1;
    }

    private static void print(ClusterStatus status, PrintWriter out) {
        out.printf("cluster %s: phase %d, trust domain %s%n", status.dir(), status.phase(), status.trustDomain());
        out.printf("%-14s %-12s %-8s %-6s %-22s %-6s %-34s %s%n", "NODE", "KIND", "PID", "READY", "ADDRESS", "PHASE",
                "CERTIFICATE SERIAL", "EXPIRES");
        for (ClusterStatus.Node node : status.nodes()) {
            out.printf("%-14s %-12s %-8s %-6s %-22s %-6s %-34s %s%n", node.name(), node.kind(),
                    node.pid() == null ? "-" : node.pid(), node.ready() ? "yes" : "no", node.tlsAddress(),
                    node.phase() == null ? "-" : node.phase(), orDash(node.certificateSerial()),
                    orDash(node.certificateNotAfter()));
        }
        for (ClusterStatus.Node node : status.nodes()) {
            if (node.error() != null) {
                out.printf("  %s: %s%n", node.name(), node.error());
            }
        }
        status.nodes().stream().filter(node -> !node.flags().isEmpty()).findFirst().ifPresent(first -> {
            out.println("flags (value [source]):");
            for (Map.Entry<String, String> flag : first.flags().entrySet()) {
                Set<String> values = status.nodes().stream().filter(node -> !node.flags().isEmpty())
                        .map(node -> node.flags().get(flag.getKey()) + " [" + node.flagSources().get(flag.getKey()) + "]")
                        .collect(Collectors.toCollection(TreeSet::new));
                out.printf("  %-38s %s%n", flag.getKey(), values.size() == 1 ? values.iterator().next()
                        : "DIFFERS: " + perNode(status, node -> node.flags().get(flag.getKey())));
            }
        });
        Set<List<String>> bundles = status.nodes().stream().filter(node -> node.error() == null)
                .map(ClusterStatus.Node::rootFingerprints).collect(Collectors.toSet());
        out.println("trust bundle (root SHA-256): " + (bundles.size() == 1 ? String.join(", ", bundles.iterator().next())
                + " on every node" : "DIFFERS: " + perNode(status, node -> String.join(",", node.rootFingerprints()))));
        Set<List<String>> crls = status.nodes().stream().filter(node -> node.error() == null)
                .map(ClusterStatus.Node::crls).collect(Collectors.toSet());
        out.println("CRL loaded: " + (crls.size() == 1 ? String.join("; ", crls.iterator().next()) + " on every node"
                : "DIFFERS: " + perNode(status, node -> String.join(";", node.crls()))));
        out.println("CA expires " + orDash(status.caNotAfter()) + "; CRL next update " + orDash(status.crlNextUpdate())
                + "; renewer " + (status.supervisor().running() ? "running (pid " + status.supervisor().pid() + ")"
                        : "NOT running"));
        for (ClusterStatus.Storage storage : status.storages()) {
            out.printf("replica %-12s %s%n", storage.name(), storage.healthy() ? "healthy" : "DOWN (" + storage.failedChecks()
                    + " failed checks: " + orDash(storage.lastError()) + ")");
        }
    }

    private static String perNode(ClusterStatus status, java.util.function.Function<ClusterStatus.Node, String> value) {
        return status.nodes().stream().map(node -> node.name() + "=" + value.apply(node))
                .collect(Collectors.joining(" "));
    }

    private static String orDash(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
