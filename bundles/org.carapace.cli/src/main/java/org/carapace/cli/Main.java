package org.carapace.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of {@code bin/carapace}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line and returns its exit code; used by tests too. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = commandLine();
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new CarapaceCommand());
        commandLine.setExitCodeExceptionMapper(e -> e instanceof CliException ? ((CliException) e).exitCode() : CliException.USAGE);
        commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof CliException) {
                err.println("carapace: " + e.getMessage());
            } else {
                err.println("carapace: unexpected error: " + e);
            }
            err.flush();
            return cmd.getExitCodeExceptionMapper().getExitCode(e);
        });
        commandLine.getCommandSpec().exitCodeOnInvalidInput(CliException.USAGE);
        return commandLine;
    }
}
