package io.gitward.pki.cli;

import io.gitward.pki.CertificateInspector;
import io.gitward.pki.PkiException;
import io.gitward.security.json.Json;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show what a certificate or CRL file holds.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        CertificateInspector.Report report = CertificateInspector.inspect(file);
        spec.commandLine().getOut().print(json ? Json.write(report) : CertificateInspector.render(report));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
