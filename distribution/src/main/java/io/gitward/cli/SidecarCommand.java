package io.gitward.cli;

import io.gitward.security.server.NodeKind;
import io.gitward.sidecar.SidecarNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward sidecar --config FILE}: the mTLS sidecar, started like every node (validated config, ready.json). */
@Command(name = "sidecar", mixinStandardHelpOptions = true,
        description = "Run the mTLS sidecar of a service that cannot do mTLS: inbound (terminate mTLS, authorize per route,"
                + " plaintext to a local app with the caller's identity in a header) and/or outbound (plaintext from the"
                + " local app on loopback, mTLS to a pinned peer). Writes ready.json once every listener is bound.")
final class SidecarCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The sidecar's HOCON config file.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        return NodeCommand.run(spec, NodeKind.SIDECAR, config, new SidecarNode());
    }
}
