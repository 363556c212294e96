package io.gitward.pki.cli;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.IssuedCertificate;
import io.gitward.pki.PkiException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "renew", mixinStandardHelpOptions = true,
        description = "Replace a node's key and certificate (new key, same identity); the old one expires on its own.")
final class RenewCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Mixin
    LeafOptions leaf;

    @Option(names = "--key-type", defaultValue = "ec-p256", paramLabel = "TYPE",
            description = "ec-p256 (default), ed25519 or rsa-3072.")
    String keyType;

    @Option(names = "--json", description = "Print the paths written and the certificate's facts as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        CertificateAuthority.LeafRequest request = new CertificateAuthority.LeafRequest(leaf.role(), leaf.name,
                leaf.ttl(), keyType == null ? null : LeafOptions.keyType(keyType), leaf.altNames());
        IssuedCertificate issued = ca.open().renew(request);
        Output.issued(spec.commandLine().getOut(), issued, json, "renewed");
        return 0;
    }
}
