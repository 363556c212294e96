package io.gitward.cli.cluster;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward supervise}: the local cluster's certificate renewer, started by {@code up}. */
@Command(name = "supervise", hidden = true, description = "Renew the local cluster's certificates and CRL (run by up).")
public final class SuperviseCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", required = true)
    Path dir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter log = spec.commandLine().getOut();
        log.println(java.time.Instant.now() + " supervising " + new ClusterLayout(dir).dir());
        log.flush();
        new Supervisor(new ClusterLayout(dir), log).run();
        return 0;
    }
}
