package org.carapace.cli.events;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace events emit}: synthetic events through the runtime's EventAdmin (dev profile only). */
@Command(name = "emit", mixinStandardHelpOptions = true,
    description = {"Post synthetic security events in the running runtime (dev profile only: events.emit must be configured).",
        "They travel the real path: EventAdmin, filters, journal, MQTT. Their context carries \"synthetic\": true."})
final class EmitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Option(names = "--type", defaultValue = "GATE_ALLOWED", paramLabel = "TYPE", description = "Event type (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--count", defaultValue = "1", paramLabel = "N", description = "How many (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--message", paramLabel = "TEXT", description = "The events' message.")
    String message;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("type", type);
        arguments.put("count", count);
        if (message != null) {
            arguments.put("message", message);
        }
        Map<String, Object> result = runtime.call("events.emit", arguments);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, result);
        } else {
            out.printf("posted %s %s event(s)%n", result.get("posted"), result.get("type"));
            out.flush();
        }
        return 0;
    }
}
