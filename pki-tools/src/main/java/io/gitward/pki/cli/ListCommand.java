package io.gitward.pki.cli;

import io.gitward.pki.CaIndex;
import io.gitward.pki.IndexEntry;
import io.gitward.pki.PkiException;
import io.gitward.security.json.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List every certificate the CA signed.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Option(names = "--json", description = "Print ca/index.json's entries as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        CaIndex index = ca.open().index();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(Json.write(index));
            return 0;
        }
        out.printf("%-34s %-13s %-48s %-21s %s%n", "SERIAL", "KIND", "IDENTITY", "NOT AFTER", "STATUS");
        for (IndexEntry entry : index.entries()) {
            out.printf("%-34s %-13s %-48s %-21s %s%n", entry.serial(), entry.kind(),
                    entry.identity() == null ? "-" : entry.identity(), entry.notAfter(),
                    entry.revoked() ? "revoked " + entry.revokedAt() + " (" + entry.revocationReason() + ")" : "valid");
        }
        out.printf("crl number %d%n", index.crlNumber());
        return 0;
    }
}
