package io.gitward.cli.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward down}: stops the local cluster; its data stays unless {@code --purge}. */
@Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the local cluster (SIGTERM: in-flight"
        + " calls finish). Repositories and certificates stay for the next up unless --purge.")
public final class DownCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @Option(names = "--purge", description = "Also delete the cluster directory: repositories, certificates, the CA.")
    boolean purge;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ClusterLayout layout = new ClusterLayout(dir);
        LocalCluster cluster = new LocalCluster(layout, spec.commandLine().getOut());
        try {
            List<String> stopped = cluster.down();
            spec.commandLine().getOut().println(stopped.isEmpty() ? "nothing was running in " + layout.dir()
                    : "stopped " + String.join(", ", stopped));
            if (purge) {
                cluster.purge();
                spec.commandLine().getOut().println("removed " + layout.dir());
            }
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward down: " + e.getMessage());
            return 1;
        }
    }
}
