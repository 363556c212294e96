package io.gitward.cli.cluster;

import io.gitward.pki.PkiException;
import io.gitward.pki.Ttl;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gitward up}: a local cluster, provisioned and started with one command. */
@Command(name = "up", mixinStandardHelpOptions = true, description = "Start a local cluster (coordinator, storage"
        + " nodes, proxy) on loopback, creating its CA and every node's key and certificate if absent.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory (default .gitward/cluster).")
    Path dir = ClusterLayout.DEFAULT;

    @Option(names = "--phase", paramLabel = "N", description = "Enforcement phase 0-6 (default: the cluster's, 6 when new).")
    Integer phase;

    @Option(names = "--storages", paramLabel = "N", defaultValue = "3", description = "Storage nodes (default 3).")
    int storages;

    @Option(names = "--trust-domain", paramLabel = "TD", defaultValue = LocalCluster.DEFAULT_TRUST_DOMAIN,
            description = "Trust domain of a new cluster (default local.gitward).")
    String trustDomain;

    @Option(names = "--leaf-ttl", paramLabel = "DURATION", defaultValue = "24h",
            description = "Lifetime of node certificates; renewed at about half of it (default 24h).")
    String leafTtl;

    @Option(names = "--crl-validity", paramLabel = "DURATION", defaultValue = "24h",
            description = "Validity of each CRL; re-signed at half of it (default 24h).")
    String crlValidity;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ClusterLayout layout = new ClusterLayout(dir);
        try {
            LocalCluster.UpOptions options = new LocalCluster.UpOptions(phase, storages, trustDomain,
                    duration("--leaf-ttl", leafTtl), duration("--crl-validity", crlValidity));
            spec.commandLine().getOut().println("starting the cluster in " + layout.dir() + " ...");
            ClusterManifest manifest = new LocalCluster(layout, spec.commandLine().getOut()).up(options);
            String dirOption = layout.dir().equals(new ClusterLayout(ClusterLayout.DEFAULT).dir()) ? ""
                    : " --dir " + layout.dir();
            ClusterManifest.Node gateway = manifest.ofKind("gateway").get(0);
            java.nio.file.Path client = layout.clientDir(LocalIdentities.CLIENT);
            spec.commandLine().getOut().printf("""
                    cluster up: phase %d, trust domain %s, proxy %s
                    try:
                      ./gitward client%s create demo.git
                      ./gitward client%s write demo.git README.md "hello"
                      ./gitward client%s read demo.git README.md
                      ./gitward client%s state demo.git
                    or with git, through the gateway (your client certificate, the cluster's CA):
                      GIT_SSL_CERT=%s GIT_SSL_KEY=%s GIT_SSL_CAINFO=%s \\
                        git clone https://%s/demo.git
                    stop it with ./gitward down%s
                    """, manifest.phase(), manifest.trustDomain(), manifest.proxy().tlsAddress(), dirOption, dirOption,
                    dirOption, dirOption, ClusterLayout.chain(client), ClusterLayout.key(client), ClusterLayout.roots(client),
                    gateway.gitHttpsAddress(), dirOption);
            return 0;
        } catch (ClusterException e) {
            spec.commandLine().getErr().println("gitward up: " + e.getMessage());
            return 1;
        }
    }

    private static Duration duration(String option, String value) throws ClusterException {
        try {
            return Ttl.parse(option, value);
        } catch (PkiException e) {
            throw new ClusterException(e.getMessage());
        }
    }
}
