package io.gitward.cli.cluster;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gitward ca prepare|activate|retire}: the local cluster's CA rollover, one gated step at a time. */
@Command(name = "ca", mixinStandardHelpOptions = true, description = "CA rollover: prepare (publish a new root beside"
        + " the old), activate (issue every leaf from the new CA; needs every node to trust it), retire (drop the old"
        + " root; needs every node to serve a new leaf).")
public final class CaCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STEP", description = "prepare, activate or retire.")
    String step;

    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        CertificateRotation rotation = new CertificateRotation(new ClusterLayout(dir), spec.commandLine().getOut());
        try {
            switch (step) {
                case "prepare" -> rotation.prepare();
                case "activate" -> rotation.activate();
                case "retire" -> rotation.retire();
                default -> {
                    spec.commandLine().getErr().println("gitward ca: unknown step '" + step
                            + "' (expected: prepare, activate or retire)");
                    return 2;
                }
            }
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward ca " + step + ": " + e.getMessage());
            return 1;
        }
    }
}
