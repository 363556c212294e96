package io.gitward.cli.cluster;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.IndexEntry;
import io.gitward.pki.PkiException;
import io.gitward.proto.SecurityStatus;
import io.gitward.proto.TrustedDomain;
import io.gitward.security.identity.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code revoke}: the certificates an identity of the local cluster holds now are revoked by every CA present
 * (during a rollover both may have issued it), the new CRLs go to every identity as one file set each, and the
 * command returns once every other node reports them loaded — from then on the revoked certificate is refused
 * on new handshakes and its open connections, in either direction, are closed. The revoked node keeps running;
 * a new key and certificate ({@code rotate}) bring it back.
 */
final class NodeRevocation {
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern CRL_NUMBER = Pattern.compile("^(.*) #(\\d+) next update");

    private final ClusterLayout layout;
    private final PrintWriter out;

    NodeRevocation(ClusterLayout layout, PrintWriter out) {
        this.layout = layout;
        this.out = out;
    }

    void revoke(String name, String reason) throws ClusterException, InterruptedException {
        if (LocalIdentities.ADMIN.equals(name)) {
            throw new ClusterException(name + " is the operator identity these commands use; revoking it would lock them"
                    + " out (issue another admin first)");
        }
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            Map<Path, Role> identities = new LocalCluster(layout, out).identities(manifest);
            Role role = identities.entrySet().stream().filter(entry -> entry.getKey().getFileName().toString().equals(name))
                    .map(Map.Entry::getValue).findFirst().orElseThrow(() -> new ClusterException("no node or client named '"
                            + name + "' in " + layout.dir() + " (have " + identities.keySet().stream()
                            .map(dir -> dir.getFileName().toString()).toList() + ")"));
            LocalPki pki = LocalPki.openOrCreate(layout, manifest.trustDomain(),
                    Duration.ofSeconds(manifest.leafTtlSeconds()), Duration.ofSeconds(manifest.crlValiditySeconds()));
            Map<String, Long> crls = new LinkedHashMap<>();
            List<String> serials = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (Path dir : pki.present()) {
                CertificateAuthority ca = open(pki, dir);
                try {
                    for (IndexEntry entry : ca.revokeIdentity(role, name, reason)) {
                        serials.add(entry.serial());
                    }
                } catch (PkiException e) {
                    skipped.add(e.getMessage()); // typically: this CA holds no valid certificate of the identity
                    continue;
                }
                crls.put(ca.issuingCertificate().getSubjectX500Principal().getName(), crlNumber(ca));
            }
            if (serials.isEmpty()) {
                throw new ClusterException("nothing revoked for " + role.name().toLowerCase(Locale.ROOT) + "/" + name + ": "
                        + String.join("; ", skipped));
            }
            for (Path dir : identities.keySet()) {
                pki.refreshTrust(dir);
            }
            for (ClusterManifest.Node node : manifest.nodes()) {
                if (!node.name().equals(name)) {
                    NodeAdmin.await(layout, manifest, node, manifest.phase(), "loaded the CRL(s) " + crls,
                            status -> loaded(status, crls), CONFIRM_TIMEOUT);
                }
            }
            out.println("revoked " + role.name().toLowerCase(Locale.ROOT) + "/" + name + " (serial " + String.join(", ", serials)
                    + ", reason " + reason + "); every other node loaded the new CRL: it refuses that certificate and closed"
                    + " its connections");
            if (identities.keySet().stream().anyMatch(dir -> dir.equals(layout.nodeDir(name)))) {
                out.println(name + " still runs with the revoked certificate and cannot reach its peers; stop it, or give it"
                        + " a new key with ./gitward rotate");
            }
        }
    }

    private CertificateAuthority open(LocalPki pki, Path dir) throws ClusterException {
        if (dir.equals(layout.pki())) {
            return pki.authority();
        }
        try {
            return CertificateAuthority.open(dir, null, Clock.systemUTC());
        } catch (PkiException e) {
            throw new ClusterException("certificate authority in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static long crlNumber(CertificateAuthority ca) throws ClusterException {
        try {
            return ca.index().crlNumber();
        } catch (PkiException e) {
            throw new ClusterException("CRL number of " + ca.layout().dir() + ": " + e.getMessage(), e);
        }
    }

    /** Every revoking CA's CRL is loaded at the new number (or a later one). */
    private static boolean loaded(SecurityStatus status, Map<String, Long> crls) {
        Map<String, Long> seen = new LinkedHashMap<>();
        for (TrustedDomain domain : status.getTrustedDomainsList()) {
            for (String crl : domain.getCrlsList()) {
                Matcher matcher = CRL_NUMBER.matcher(crl);
                if (matcher.find()) {
                    seen.merge(matcher.group(1), Long.parseLong(matcher.group(2)), Math::max);
                }
            }
        }
        return crls.entrySet().stream().allMatch(crl -> seen.getOrDefault(crl.getKey(), -1L) >= crl.getValue());
    }
}
