package io.gitward.cli;

import io.gitward.cli.client.ClientCommand;
import io.gitward.cli.cluster.AuditCommand;
import io.gitward.cli.cluster.CaCommand;
import io.gitward.cli.cluster.CheckCommand;
import io.gitward.cli.cluster.DownCommand;
import io.gitward.cli.cluster.PhaseCommand;
import io.gitward.cli.cluster.RevokeNodeCommand;
import io.gitward.cli.cluster.RotateCommand;
import io.gitward.cli.cluster.StatusCommand;
import io.gitward.cli.cluster.SuperviseCommand;
import io.gitward.cli.cluster.UpCommand;
import io.gitward.pki.cli.PkiCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gitward}: the single entry point of the distribution. */
@Command(name = "gitward", mixinStandardHelpOptions = true, versionProvider = Gitward.Version.class,
        description = "Git storage cluster whose nodes authenticate each other with mutual TLS identities.",
        subcommands = {UpCommand.class, StatusCommand.class, ClientCommand.class, PhaseCommand.class, RotateCommand.class,
            CaCommand.class, RevokeNodeCommand.class, CheckCommand.class, AuditCommand.class, DownCommand.class,
            NodeCommand.class, SidecarCommand.class, EchoAppCommand.class, PkiCommand.class,
            BenchCommand.class, SuperviseCommand.class})
public final class Gitward implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (see gitward --help)");
    }

    public static void main(String[] args) {
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int exitCode = execute(out, err, args);
        // Auto-flush acts on println only: output printed without a line end would be lost at exit.
        out.flush();
        err.flush();
        System.exit(exitCode);
    }

    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Gitward());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler(PkiCommand.refusalHandler());
        return commandLine.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Gitward.class.getPackage().getImplementationVersion();
            return new String[] {"gitward " + (version == null ? "dev" : version)};
        }
    }
}
