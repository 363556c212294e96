package io.gitward.pki.cli;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.Ttl;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Certificates;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true, description = "Create a CA for one trust domain.")
final class InitCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Option(names = "--trust-domain", required = true, paramLabel = "TD",
            description = "Lower-case trust domain, e.g. cell-1.gitward.")
    String trustDomain;

    @Option(names = "--ttl", defaultValue = "10y", paramLabel = "TTL", description = "CA lifetime (default: 10y).")
    String ttl;

    @Option(names = "--key-type", defaultValue = "ec-p256", paramLabel = "TYPE",
            description = "ec-p256 (default), ed25519 or rsa-3072.")
    String keyType;

    @Option(names = "--intermediate", description = "Sign leaves with an intermediate CA under the root.")
    boolean intermediate;

    @Option(names = "--offline-root", description = "A root for several cells: it signs only cell CAs "
            + "(gitward pki init-cell), never a node.")
    boolean offlineRoot;

    @Option(names = "--crl-validity", defaultValue = "7d", paramLabel = "TTL",
            description = "Next-update of each CRL the CA signs (default: 7d).")
    String crlValidity;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        TrustDomain domain;
        try {
            domain = TrustDomain.of(trustDomain);
        } catch (IllegalArgumentException e) {
            throw new PkiException("--trust-domain: " + e.getMessage());
        }
        CertificateAuthority.InitOptions options;
        try {
            options = new CertificateAuthority.InitOptions(domain, Ttl.parse("--ttl", ttl), KeyType.parse(keyType),
                    intermediate, ca.passphrase(), Ttl.parse("--crl-validity", crlValidity), offlineRoot);
        } catch (IllegalArgumentException e) {
            throw new PkiException(e.getMessage());
        }
        CertificateAuthority authority = CertificateAuthority.init(ca.dir, options, Clock.systemUTC());
        spec.commandLine().getOut().printf("created CA for trust domain %s in %s (root serial %s, expires %s)%n",
                domain, authority.layout().caDir(), Certificates.serialHex(authority.rootCertificate()),
                authority.rootCertificate().getNotAfter().toInstant());
        return 0;
    }
}
