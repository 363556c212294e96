package io.gitward.cli.cluster;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gitward phase N}: the local cluster moves one gated phase at a time toward N. */
@Command(name = "phase", mixinStandardHelpOptions = true, description = "Step the whole cluster one phase at a time"
        + " toward N. Each step needs every node healthy and, going up, no caller in the audit that the step would"
        + " break (they are named). Going down needs --allow-downgrade.")
public final class PhaseCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "N", description = "Target phase, 0 to 6.")
    int target;

    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @Option(names = "--allow-downgrade", description = "Allow moving to a lower phase.")
    boolean allowDowngrade;

    @Option(names = "--force", description = "Step up even though the audit shows callers the step breaks.")
    boolean force;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        try {
            int reached = new PhaseSteps(new ClusterLayout(dir), spec.commandLine().getOut()).run(target, allowDowngrade,
                    force);
            spec.commandLine().getOut().println("the cluster is at phase " + reached);
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward phase: " + e.getMessage());
            return 1;
        }
    }
}
