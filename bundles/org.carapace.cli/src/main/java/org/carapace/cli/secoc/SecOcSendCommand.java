package org.carapace.cli.secoc;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace secoc send}: protect a payload on one of the runtime's endpoints and send it. */
@Command(name = "send", mixinStandardHelpOptions = true, description = "Protect a payload and send it on a runtime's SecOC endpoint.")
final class SecOcSendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Option(names = "--endpoint", required = true, paramLabel = "NAME", description = "Endpoint name (endpoint.name).")
    String endpoint;

    @Option(names = "--payload", required = true, paramLabel = "HEX", description = "The authentic PDU in hex.")
    String payload;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> result = runtime.call("secoc.send", Map.of("endpoint", endpoint, "payload", payload));
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, result);
        } else {
            out.printf("sent %s bytes on %s (channel %s)%n", result.get("securedLength"), result.get("endpoint"), result.get("channel"));
            out.flush();
        }
        return 0;
    }
}
