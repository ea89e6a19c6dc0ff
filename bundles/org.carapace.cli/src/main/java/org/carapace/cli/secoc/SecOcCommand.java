package org.carapace.cli.secoc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code carapace secoc}: SecOC tools for engineers reading traces, and the runtime's SecOC channels. */
@Command(name = "secoc", mixinStandardHelpOptions = true,
    description = {"SecOC authenticated messaging: build and check Secured I-PDUs, and talk to the runtime's channels.",
        "Freshness values are given as MSB-aligned byte arrays of ceil(length/8) bytes (docs/secoc.md)."},
    subcommands = {SecOcProtectCommand.class, SecOcVerifyCommand.class, SecOcStatusCommand.class, SecOcSendCommand.class})
public final class SecOcCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command; see 'carapace secoc --help'");
    }
}
