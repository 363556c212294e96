package io.gitward.cli.cluster;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward rotate}: every leaf of the local cluster re-issued in place, with new keys. */
@Command(name = "rotate", mixinStandardHelpOptions = true, description = "Re-issue every node's and client's"
        + " certificate with a new key, in place; returns when every node serves its new certificate.")
public final class RotateCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        try {
            new CertificateRotation(new ClusterLayout(dir), spec.commandLine().getOut()).rotate();
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward rotate: " + e.getMessage());
            return 1;
        }
    }
}
