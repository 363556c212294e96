package io.gitward.cli.cluster;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.proto.SecurityStatus;
import io.gitward.proto.TrustedDomain;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Certificate changes of a running local cluster, each confirmed by the nodes themselves before the command
 * returns: {@code rotate} re-issues every leaf in place (new keys); a CA rollover is three gated steps —
 * {@code prepare} (a new CA, trusted everywhere beside the old one), {@code activate} (every leaf re-issued by the
 * new CA; refused until every node trusts it), {@code retire} (the old CA leaves every bundle; refused until every
 * node serves a certificate of the new one). Files change atomically per identity, so no call fails.
 */
final class CertificateRotation {
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CA_TTL = Duration.ofDays(3650);

    private final ClusterLayout layout;
    private final PrintWriter out;

    CertificateRotation(ClusterLayout layout, PrintWriter out) {
        this.layout = layout;
        this.out = out;
    }

    void rotate() throws ClusterException, InterruptedException {
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            reissueAll(manifest, pki(manifest));
            out.println("rotated every certificate (new keys); every node serves its new one");
        }
    }

    void prepare() throws ClusterException, InterruptedException {
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            requireNoRollover();
            try {
                CertificateAuthority.init(layout.pkiNext(), new CertificateAuthority.InitOptions(
                        TrustDomain.of(manifest.trustDomain()), CA_TTL, KeyType.EC_P256, false, null,
                        Duration.ofSeconds(manifest.crlValiditySeconds())), Clock.systemUTC());
            } catch (PkiException e) {
                throw new ClusterException("new CA in " + layout.pkiNext() + ": " + e.getMessage(), e);
            }
            String next = fingerprint(layout.pkiNext());
            LocalPki pki = pki(manifest);
            for (Path dir : new LocalCluster(layout, out).identities(manifest).keySet()) {
                pki.refreshTrust(dir);
            }
            awaitEveryNode(manifest, "trusts the new CA " + next, status -> roots(status).contains(next));
            out.println("prepared: every node trusts the new CA " + next + " beside the current one; next: ./gitward ca"
                    + " activate");
        }
    }

    void activate() throws ClusterException, InterruptedException {
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            if (!Files.exists(new CaLayout(layout.pkiNext()).caDir())) {
                throw new ClusterException("no prepared CA in " + layout.pkiNext() + "; run ./gitward ca prepare first");
            }
            String next = fingerprint(layout.pkiNext());
            List<String> missing = nodesWhere(manifest, status -> !roots(status).contains(next));
            if (!missing.isEmpty()) {
                throw new ClusterException("refusing to activate: " + String.join(", ", missing) + " do(es) not trust the"
                        + " new CA " + next + " yet; their leaves would be refused by them (see ./gitward status)");
            }
            move(layout.pki(), layout.pkiPrevious());
            move(layout.pkiNext(), layout.pki());
            reissueAll(manifest, pki(manifest));
            out.println("activated: the new CA " + next + " issues, every node serves a certificate from it; next:"
                    + " ./gitward ca retire");
        }
    }

    void retire() throws ClusterException, InterruptedException {
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            if (!Files.exists(new CaLayout(layout.pkiPrevious()).caDir())) {
                throw new ClusterException("no previous CA in " + layout.pkiPrevious() + " to retire (run ./gitward ca"
                        + " prepare, then activate)");
            }
            String current = fingerprint(layout.pki());
            String previous = fingerprint(layout.pkiPrevious());
            List<String> stale = new ArrayList<>();
            for (ClusterManifest.Node node : manifest.nodes()) {
                SecurityStatus status = status(manifest, node);
                if (!status.getCertificateSerial().equals(serial(ClusterLayout.chain(layout.nodeDir(node.name()))))) {
                    stale.add(node.name() + " (serves " + status.getCertificateSerial() + ")");
                }
            }
            if (!stale.isEmpty()) {
                throw new ClusterException("refusing to retire the previous CA " + previous + ": " + String.join(", ", stale)
                        + " still serve(s) a certificate it issued; run ./gitward ca activate again");
            }
            move(layout.pkiPrevious(), layout.retired().resolve("pki-" + Instant.now().toEpochMilli()));
            LocalPki pki = pki(manifest);
            for (Path dir : new LocalCluster(layout, out).identities(manifest).keySet()) {
                pki.refreshTrust(dir);
            }
            awaitEveryNode(manifest, "trusts only " + current, status -> roots(status).equals(List.of(current)));
            out.println("retired the previous CA " + previous + "; every node trusts only " + current);
        }
    }

    private void requireNoRollover() throws ClusterException {
        if (Files.exists(layout.pkiNext()) || Files.exists(layout.pkiPrevious())) {
            throw new ClusterException("a CA rollover is in progress (" + (Files.exists(layout.pkiNext())
                    ? "prepared: run ./gitward ca activate" : "activated: run ./gitward ca retire") + ")");
        }
    }

    private LocalPki pki(ClusterManifest manifest) throws ClusterException {
        return LocalPki.openOrCreate(layout, manifest.trustDomain(), Duration.ofSeconds(manifest.leafTtlSeconds()),
                Duration.ofSeconds(manifest.crlValiditySeconds()));
    }

    /** New key and certificate for every identity, then waits until each node serves its new one. */
    private void reissueAll(ClusterManifest manifest, LocalPki pki) throws ClusterException, InterruptedException {
        for (Map.Entry<Path, Role> identity : new LocalCluster(layout, out).identities(manifest).entrySet()) {
            pki.provision(identity.getValue(), identity.getKey().getFileName().toString(), identity.getKey());
        }
        for (ClusterManifest.Node node : manifest.nodes()) {
            String serial = serial(ClusterLayout.chain(layout.nodeDir(node.name())));
            awaitNode(manifest, node, "serves certificate " + serial, status -> status.getCertificateSerial().equals(serial));
        }
    }

    private void awaitEveryNode(ClusterManifest manifest, String what, Predicate<SecurityStatus> done)
            throws ClusterException, InterruptedException {
        for (ClusterManifest.Node node : manifest.nodes()) {
            awaitNode(manifest, node, what, done);
        }
    }

    private void awaitNode(ClusterManifest manifest, ClusterManifest.Node node, String what,
            Predicate<SecurityStatus> done) throws ClusterException, InterruptedException {
        NodeAdmin.await(layout, manifest, node, manifest.phase(), what, done, CONFIRM_TIMEOUT);
    }

    private List<String> nodesWhere(ClusterManifest manifest, Predicate<SecurityStatus> condition) throws ClusterException {
        List<String> names = new ArrayList<>();
        for (ClusterManifest.Node node : manifest.nodes()) {
            if (condition.test(status(manifest, node))) {
                names.add(node.name());
            }
        }
        return names;
    }

    private SecurityStatus status(ClusterManifest manifest, ClusterManifest.Node node) throws ClusterException {
        return NodeAdmin.securityStatus(layout, manifest, node, manifest.phase());
    }

    private static List<String> roots(SecurityStatus status) {
        List<String> roots = new ArrayList<>();
        for (TrustedDomain domain : status.getTrustedDomainsList()) {
            roots.addAll(domain.getRootFingerprintsList());
        }
        return roots;
    }

    /** SHA-256 of the CA's root certificate, as the nodes report their anchors. */
    static String fingerprint(Path pki) throws ClusterException {
        try {
            return Certificates.sha256(Pem.readCertificatesRequired(new CaLayout(pki).rootCertificate()).get(0));
        } catch (PemException e) {
            throw new ClusterException(pki + ": root certificate unreadable: " + e.getMessage(), e);
        }
    }

    private static String serial(Path chain) throws ClusterException {
        try {
            return Certificates.serialHex(Pem.readCertificatesRequired(chain).get(0));
        } catch (PemException e) {
            throw new ClusterException(chain + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) throws ClusterException {
        try {
            Files.createDirectories(to.getParent());
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ClusterException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }
}
