package org.carapace.cli.events;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.monitoring.internal.StatusText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code carapace events status}: the running runtime's event journal, broker connection and filter counters. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show the runtime's event journal (pending events, oldest undelivered), broker connection and filter counters.",
        "Exit 1 when the broker connection is configured but not connected."})
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> status = runtime.call("events.status", Map.of());
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, status);
        } else {
            out.print(StatusText.render(status));
            out.flush();
        }
        Object state = ((Map<?, ?>) status.get("connection")).get("state");
        return "CONNECTED".equals(state) || "NOT_CONFIGURED".equals(state) ? 0 : 1;
    }
}
