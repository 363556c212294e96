package io.gitward.pki.cli;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyFiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.Ttl;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Certificates;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gitward pki init-cell}: a CA for one cell (trust domain) under an offline root, name-constrained to the
 * cell's SPIFFE URIs. The root's key is used once, here, and never copied into the cell.
 */
@Command(name = "init-cell", mixinStandardHelpOptions = true,
        description = "Create a cell's issuing CA under an offline root, name-constrained to its trust domain.")
final class InitCellCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Option(names = "--root", required = true, paramLabel = "ROOT",
            description = "The offline root's directory (gitward pki init --offline-root).")
    Path root;

    @Option(names = "--root-passphrase-file", paramLabel = "FILE",
            description = "File whose first line is the root key's passphrase (when the root has one).")
    Path rootPassphraseFile;

    @Option(names = "--trust-domain", required = true, paramLabel = "TD", description = "The cell's trust domain.")
    String trustDomain;

    @Option(names = "--ttl", defaultValue = "5y", paramLabel = "TTL", description = "Cell CA lifetime (default: 5y).")
    String ttl;

    @Option(names = "--key-type", defaultValue = "ec-p256", paramLabel = "TYPE",
            description = "ec-p256 (default), ed25519 or rsa-3072.")
    String keyType;

    @Option(names = "--crl-validity", defaultValue = "7d", paramLabel = "TTL",
            description = "Next-update of each CRL the cell signs (default: 7d).")
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
        char[] rootPassphrase = rootPassphraseFile == null ? null : KeyFiles.readPassphrase(rootPassphraseFile);
        CertificateAuthority cell = CertificateAuthority.initCell(root, rootPassphrase, ca.dir,
                new CertificateAuthority.CellOptions(domain, Ttl.parse("--ttl", ttl), KeyType.parse(keyType),
                        ca.passphrase(), Ttl.parse("--crl-validity", crlValidity)), Clock.systemUTC());
        spec.commandLine().getOut().printf("created cell CA for trust domain %s in %s (serial %s, name-constrained to"
                + " spiffe://%s, expires %s)%n", domain, cell.layout().caDir(),
                Certificates.serialHex(cell.issuingCertificate()), domain,
                cell.issuingCertificate().getNotAfter().toInstant());
        return 0;
    }
}
