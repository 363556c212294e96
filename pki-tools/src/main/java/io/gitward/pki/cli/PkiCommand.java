package io.gitward.pki.cli;

import io.gitward.pki.PkiException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gitward pki}: the certificate authority on the command line. */
@Command(name = "pki", mixinStandardHelpOptions = true,
        description = "Certificate authority: node identities as SPIFFE IDs in certificates.",
        subcommands = {InitCommand.class, InitCellCommand.class, IssueCommand.class,
            SignCommand.class, CsrCommand.class, RenewCommand.class,
            RevokeCommand.class, CrlCommand.class, InspectCommand.class, VerifyCommand.class, BootstrapCommand.class,
            ListCommand.class})
public final class PkiCommand implements Runnable {
    /** Exit code of a refused operation or an invalid certificate; usage errors exit 2. */
    public static final int EXIT_REFUSED = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** Prints a refused operation as one line ("gitward pki issue: ...") and exits 1, never with a stack trace. */
    public static CommandLine.IExecutionExceptionHandler refusalHandler() {
        return (exception, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (exception instanceof PkiException) {
                err.println(commandLine.getCommandSpec().qualifiedName() + ": " + exception.getMessage());
                err.flush();
                return EXIT_REFUSED;
            }
            throw exception;
        };
    }

    /** Runs {@code gitward pki ARGS} in-process; used by tests and the launcher. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new PkiCommand());
        commandLine.setCommandName("gitward pki");
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler(refusalHandler());
        return commandLine.execute(args);
    }
}
