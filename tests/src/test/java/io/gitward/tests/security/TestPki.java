package io.gitward.tests.security;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** A real Gitward CA in a temporary directory, issuing node certificates through pki-tools. */
public final class TestPki {
    private final CertificateAuthority authority;

    private TestPki(CertificateAuthority authority) {
        this.authority = authority;
    }

    public static TestPki create(Path dir, String trustDomain, boolean intermediate) throws Exception {
        return new TestPki(CertificateAuthority.init(dir, new CertificateAuthority.InitOptions(TrustDomain.of(trustDomain),
                Duration.ofDays(365), KeyType.EC_P256, intermediate, null, Duration.ofDays(1)), Clock.systemUTC()));
    }

    /** An offline root ({@code pki init --offline-root}) that signs only cell CAs. */
    public static Path offlineRoot(Path dir) throws Exception {
        CertificateAuthority.init(dir, new CertificateAuthority.InitOptions(TrustDomain.of("gitward"), Duration.ofDays(365),
                KeyType.EC_P256, false, null, Duration.ofDays(1), true), Clock.systemUTC());
        return dir;
    }

    /** A cell CA ({@code pki init-cell}) for {@code trustDomain} under the offline root in {@code rootDir}. */
    public static TestPki cell(Path rootDir, Path dir, String trustDomain) throws Exception {
        return new TestPki(CertificateAuthority.initCell(rootDir, null, dir, new CertificateAuthority.CellOptions(
                TrustDomain.of(trustDomain), Duration.ofDays(30), KeyType.EC_P256, null, Duration.ofDays(1)),
                Clock.systemUTC()));
    }

    /** Key and chain of one node. */
    public record NodeFiles(Path key, Path chain, Path certificate) {
    }

    public NodeFiles issue(Role role, String name) throws Exception {
        return issue(role, name, SubjectAltNames.LOCAL);
    }

    public NodeFiles issue(Role role, String name, SubjectAltNames altNames) throws Exception {
        authority.issue(new CertificateAuthority.LeafRequest(role, name, Duration.ofHours(24), KeyType.EC_P256, altNames));
        return files(role, name);
    }

    public NodeFiles renew(Role role, String name) throws Exception {
        authority.renew(new CertificateAuthority.LeafRequest(role, name, Duration.ofHours(24), KeyType.EC_P256,
                SubjectAltNames.LOCAL));
        return files(role, name);
    }

    public void revoke(Role role, String name) throws Exception {
        authority.revokeIdentity(role, name, "key-compromise");
    }

    /** The key and chain of {@code files}, ready for a client channel. */
    public static ProbeCaller.ClientIdentity clientIdentity(NodeFiles files) throws Exception {
        return new ProbeCaller.ClientIdentity(io.gitward.security.x509.Pem.readPrivateKey(files.key(), null),
                io.gitward.security.x509.Pem.readCertificates(files.chain()));
    }

    public NodeFiles files(Role role, String name) {
        Path dir = authority.layout().nodeDir(role, name);
        return new NodeFiles(CaLayout.key(dir), CaLayout.chain(dir), CaLayout.certificate(dir));
    }

    public Path roots() {
        return authority.layout().roots();
    }

    public Path crl() {
        return authority.layout().crl();
    }

    public String trustDomain() {
        return authority.trustDomain().name();
    }

    public CertificateAuthority authority() {
        return authority;
    }
}
