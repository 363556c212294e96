package io.gitward.pki.cli;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.PkiException;
import io.gitward.pki.Ttl;
import io.gitward.security.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "crl", mixinStandardHelpOptions = true,
        description = "Re-sign the CRL with a higher CRL number and a fresh next-update.")
final class CrlCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Option(names = "--next-update", paramLabel = "TTL",
            description = "Validity of the new CRL (default: the CA's crl_validity).")
    String nextUpdate;

    @Option(names = "--json", description = "Print the CRL's facts as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        CertificateAuthority.CrlInfo info = ca.open().refreshCrl(nextUpdate == null ? null : Ttl.parse("--next-update",
                nextUpdate));
        if (json) {
            spec.commandLine().getOut().print(Json.write(info));
        } else {
            spec.commandLine().getOut().printf("signed %s: crl number %d, %d revoked, next update %s%n", info.crl(),
                    info.crlNumber(), info.revokedCount(), info.nextUpdate());
        }
        return 0;
    }
}
