package io.gitward.cli.cluster;

import io.gitward.security.identity.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The renewer of a local cluster, started by {@code up}: re-issues each leaf (a new key, made in the
 * identity's own directory) at about half its lifetime and re-signs the CRL at half its validity, publishing
 * each identity's files as one set so nodes reload them without a failed call. It skips a round while another
 * command holds the cluster's lock.
 */
public final class Supervisor {
    private final ClusterLayout layout;
    private final PrintWriter log;

    public Supervisor(ClusterLayout layout, PrintWriter log) {
        this.layout = layout;
        this.log = log;
    }

    /** Runs until the process is stopped. */
    public void run() throws InterruptedException {
        while (true) {
            Duration pause = Duration.ofSeconds(5);
            try {
                pause = round();
            } catch (ClusterException | RuntimeException e) {
                log.println(Instant.now() + " renewal round failed, trying again: " + e.getMessage());
            }
            log.flush();
            Thread.sleep(pause.toMillis());
        }
    }

    /** One pass; returns how long to wait before the next. */
    Duration round() throws ClusterException {
        Optional<ClusterLock> lock = ClusterLock.tryAcquire(layout);
        if (lock.isEmpty()) {
            return Duration.ofSeconds(1);
        }
        try (ClusterLock held = lock.get()) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            Duration leafTtl = Duration.ofSeconds(manifest.leafTtlSeconds());
            Duration crlValidity = Duration.ofSeconds(manifest.crlValiditySeconds());
            LocalPki pki = LocalPki.openOrCreate(layout, manifest.trustDomain(), leafTtl, crlValidity);
            Map<Path, Role> identities = new LocalCluster(layout, log).identities(manifest);
            Instant now = Instant.now();
            if (pki.crlDue(now)) {
                pki.resignCrl(crlValidity);
                for (Path dir : identities.keySet()) {
                    pki.refreshTrust(dir);
                }
                log.println(now + " re-signed the CRL and published it to " + identities.size() + " identities");
            }
            for (Map.Entry<Path, Role> identity : identities.entrySet()) {
                Path dir = identity.getKey();
                if (Renewals.leafDue(ClusterLayout.chain(dir), Duration.ofSeconds(manifest.leafTtlSeconds()), now)) {
                    pki.provision(identity.getValue(), dir.getFileName().toString(), dir);
                    log.println(now + " renewed " + identity.getValue().name().toLowerCase(java.util.Locale.ROOT) + "/"
                            + dir.getFileName() + " (new key and certificate)");
                }
            }
            // Check again at a twentieth of the shortest lifetime: renewals land close to their due time.
            Duration shortest = leafTtl.compareTo(crlValidity) < 0 ? leafTtl : crlValidity;
            Duration pause = shortest.dividedBy(20);
            return pause.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                    : pause.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : pause;
        }
    }
}
