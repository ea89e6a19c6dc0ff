package org.carapace.cli.events;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code carapace events}: the back end's view of security events, and the runtime's monitoring status. */
@Command(name = "events", mixinStandardHelpOptions = true,
    description = {"Security events: subscribe to a fleet's events as a back end, show the runtime's journal and connection,",
        "post synthetic events (dev profile), make event-authentication keys."},
    subcommands = {SubscribeCommand.class, StatusCommand.class, EmitCommand.class, KeygenCommand.class})
public final class EventsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a subcommand; see 'carapace events --help'");
    }
}
