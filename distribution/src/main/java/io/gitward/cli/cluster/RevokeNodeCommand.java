package io.gitward.cli.cluster;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gitward revoke NAME}: a local node's or client's certificates revoked, and every other node told. */
@Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke the certificates a node or client of"
        + " the local cluster holds now and publish the CRL; returns when every other node refuses them (new"
        + " handshakes refused, open connections closed).")
public final class RevokeNodeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "A node (e.g. storage-2) or client (client-1).")
    String name;

    @Option(names = "--reason", defaultValue = "key-compromise", paramLabel = "REASON",
            description = "A CRL reason: key-compromise (default), superseded, cessation-of-operation, ...")
    String reason;

    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (!io.gitward.pki.CertificateProfiles.REVOCATION_REASONS.contains(reason)) {
            spec.commandLine().getErr().println("gitward revoke: --reason '" + reason + "' (expected one of: "
                    + String.join(", ", io.gitward.pki.CertificateProfiles.REVOCATION_REASONS) + ")");
            return 2;
        }
        try {
            new NodeRevocation(new ClusterLayout(dir), spec.commandLine().getOut()).revoke(name, reason);
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward revoke: " + e.getMessage());
            return 1;
        }
    }
}
