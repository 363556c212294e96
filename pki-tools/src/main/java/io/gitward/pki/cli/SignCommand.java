package io.gitward.pki.cli;

import io.gitward.pki.CsrRequest;
import io.gitward.pki.IssuedCertificate;
import io.gitward.pki.PkiException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sign", mixinStandardHelpOptions = true,
        description = "Sign a node's certificate request; the node's key never leaves the node.")
final class SignCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Mixin
    LeafOptions leaf;

    @Option(names = "--csr", required = true, paramLabel = "FILE", description = "PEM certificate request (from 'pki csr').")
    Path csr;

    @Option(names = "--json", description = "Print the paths written and the certificate's facts as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        CsrRequest request = CsrRequest.read(csr);
        IssuedCertificate issued = ca.open().sign(request, leaf.role(), leaf.name, leaf.ttl(), leaf.altNames());
        Output.issued(spec.commandLine().getOut(), issued, json, "signed");
        return 0;
    }
}
