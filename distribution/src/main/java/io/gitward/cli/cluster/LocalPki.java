package io.gitward.cli.cluster;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.CertificateProfiles;
import io.gitward.pki.CsrRequest;
import io.gitward.pki.KeyFiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.files.SecureFiles;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The local cluster's certificate authorities and how identities get their files: each key is made in the
 * identity's own directory, only a certificate request reaches the issuing CA, and the signed chain comes back
 * with the bundle and the CRLs — published as one set ({@link ProjectedFiles}). The bundle holds every CA that
 * is present: during a rollover the prepared next CA or the previous one as well.
 */
public final class LocalPki {
    private static final Duration CA_TTL = Duration.ofDays(3650);

    private final ClusterLayout layout;
    private final CertificateAuthority ca;
    private final Duration leafTtl;

    private LocalPki(ClusterLayout layout, CertificateAuthority ca, Duration leafTtl) {
        this.layout = layout;
        this.ca = ca;
        this.leafTtl = leafTtl;
    }

    /** Opens the CA in {@code layout}, creating it first when absent. */
    public static LocalPki openOrCreate(ClusterLayout layout, String trustDomain, Duration leafTtl, Duration crlValidity)
            throws ClusterException {
        try {
            CertificateAuthority ca = Files.exists(layout.pki().resolve("ca"))
                    ? CertificateAuthority.open(layout.pki(), null, Clock.systemUTC())
                    : CertificateAuthority.init(layout.pki(), new CertificateAuthority.InitOptions(TrustDomain.of(trustDomain),
                            CA_TTL, KeyType.EC_P256, false, null, crlValidity), Clock.systemUTC());
            return new LocalPki(layout, ca, leafTtl);
        } catch (PkiException e) {
            throw new ClusterException("certificate authority in " + layout.pki() + ": " + e.getMessage(), e);
        }
    }

    public CertificateAuthority authority() {
        return ca;
    }

    /**
     * Gives {@code role}/{@code name} a new key (made here, in its directory) and a certificate for it, with
     * the current bundle and CRL; replaces the previous set atomically.
     */
    public void provision(Role role, String name, Path identityDir) throws ClusterException {
        NodeIdentity identity = new NodeIdentity(ca.trustDomain(), role, name);
        try {
            SecureFiles.createDirectories(identityDir, SecureFiles.OWNER_ONLY_DIRECTORY);
            KeyPair keys = KeyType.EC_P256.generate();
            Path request = identityDir.resolve("request.csr");
            SecureFiles.writePublic(request, Pem.encode("CERTIFICATE REQUEST",
                    CertificateProfiles.csr(identity, keys, KeyType.EC_P256, SubjectAltNames.LOCAL).getEncoded()));
            ca.sign(CsrRequest.read(request), role, name, leafTtl, SubjectAltNames.LOCAL);
            Files.delete(request);
            byte[] chain = Files.readAllBytes(ca.layout().nodeDir(role, name).resolve("chain.pem"));
            new ProjectedFiles(ClusterLayout.tls(identityDir)).publish(Map.of(ProjectedFiles.KEY,
                    KeyFiles.encode(keys.getPrivate(), null), ProjectedFiles.CHAIN, chain, ProjectedFiles.ROOTS,
                    trusted(CaLayout::roots), ProjectedFiles.CRL, trusted(CaLayout::crl)));
        } catch (PkiException | IOException e) {
            throw new ClusterException("certificate for " + identity + " in " + identityDir + ": " + e.getMessage(), e);
        }
    }

    /** Re-publishes the identity's key and chain unchanged with the CA's current bundle and CRL. */
    public void refreshTrust(Path identityDir) throws ClusterException {
        ProjectedFiles files = new ProjectedFiles(ClusterLayout.tls(identityDir));
        try {
            byte[] key = files.read(ProjectedFiles.KEY);
            byte[] chain = files.read(ProjectedFiles.CHAIN);
            if (key == null || chain == null) {
                throw new ClusterException(identityDir + " has no key or chain yet; run ./gitward up to provision it");
            }
            files.publish(Map.of(ProjectedFiles.KEY, key, ProjectedFiles.CHAIN, chain, ProjectedFiles.ROOTS,
                    trusted(CaLayout::roots), ProjectedFiles.CRL, trusted(CaLayout::crl)));
        } catch (IOException e) {
            throw new ClusterException("trust files of " + identityDir + ": " + e.getMessage(), e);
        }
    }

    /** Re-signs the CRL of every CA present with a fresh validity. */
    public void resignCrl(Duration validity) throws ClusterException {
        for (Path dir : present()) {
            try {
                (dir.equals(layout.pki()) ? ca : CertificateAuthority.open(dir, null, Clock.systemUTC())).refreshCrl(validity);
            } catch (PkiException e) {
                throw new ClusterException("re-signing the CRL in " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** The CAs present, the issuing one first. */
    public List<Path> present() {
        List<Path> present = new ArrayList<>();
        for (Path dir : List.of(layout.pki(), layout.pkiNext(), layout.pkiPrevious())) {
            if (Files.exists(new CaLayout(dir).caDir())) {
                present.add(dir);
            }
        }
        return present;
    }

    /** The next CRL due among the CAs present: the earliest half-validity point. */
    public boolean crlDue(java.time.Instant now) {
        return present().stream().anyMatch(dir -> Renewals.crlDue(new CaLayout(dir).crl(), now));
    }

    /** The files of every CA present, concatenated: roots for the bundle, CRLs for the CRL file. */
    private byte[] trusted(java.util.function.Function<CaLayout, Path> file) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (Path dir : present()) {
            all.writeBytes(Files.readAllBytes(file.apply(new CaLayout(dir))));
        }
        return all.toByteArray();
    }
}
