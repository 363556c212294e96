package io.gitward.pki.cli;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.CertificateProfiles;
import io.gitward.pki.IndexEntry;
import io.gitward.pki.PkiException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke a node's certificates (or one serial) and re-sign the CRL.")
final class RevokeCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @ArgGroup(exclusive = false)
        Identity identity;

        @Option(names = "--serial", required = true, paramLabel = "HEX", description = "Serial in hex (colons allowed).")
        String serial;
    }

    static final class Identity {
        @Option(names = "--role", required = true, paramLabel = "ROLE")
        String role;

        @Option(names = "--name", required = true, paramLabel = "NAME")
        String name;
    }

    @Option(names = "--reason", defaultValue = "unspecified", paramLabel = "REASON",
            description = "unspecified, key-compromise, ca-compromise, affiliation-changed, superseded, "
                    + "cessation-of-operation or privilege-withdrawn.")
    String reason;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        if (!CertificateProfiles.REVOCATION_REASONS.contains(reason)) {
            throw new PkiException("--reason: '" + reason + "' (expected one of: "
                    + String.join(", ", CertificateProfiles.REVOCATION_REASONS) + ")");
        }
        CertificateAuthority authority = ca.open();
        List<IndexEntry> revoked = target.serial != null ? authority.revokeSerial(target.serial, reason)
                : authority.revokeIdentity(LeafOptions.parseRole(target.identity.role), target.identity.name, reason);
        PrintWriter out = spec.commandLine().getOut();
        if (revoked.isEmpty()) {
            out.printf("serial %s was already revoked; CRL unchanged%n", target.serial);
        }
        for (IndexEntry entry : revoked) {
            out.printf("revoked serial %s (%s) at %s, reason %s%n", entry.serial(),
                    entry.identity() != null ? entry.identity() : entry.kind(), entry.revokedAt(), reason);
        }
        if (!revoked.isEmpty()) {
            out.printf("re-signed %s; nodes refuse the certificate on their next CRL reload%n", authority.layout().crl());
        }
        return 0;
    }
}
